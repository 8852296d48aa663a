package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2LargestPageTest extends LargestPageTest {
}
