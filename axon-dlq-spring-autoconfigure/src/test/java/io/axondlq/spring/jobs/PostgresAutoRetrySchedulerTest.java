package io.axondlq.spring.jobs;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresAutoRetrySchedulerTest extends AutoRetrySchedulerTest {
}
