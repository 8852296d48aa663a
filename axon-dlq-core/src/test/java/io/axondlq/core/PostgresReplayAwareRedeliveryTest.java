package io.axondlq.core;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresReplayAwareRedeliveryTest extends ReplayAwareRedeliveryTest {
}
