package io.axondlq.jdbc.jobs;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2LeasesTest extends LeasesTest {
}
