package io.axondlq.jdbc.jobs;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresLeasesTest extends LeasesTest {
}
