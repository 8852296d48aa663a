package io.axondlq.core.reliability;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresQueueFullTest extends QueueFullTestBase {
}
