package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresLargestPageTest extends LargestPageTest {
}
