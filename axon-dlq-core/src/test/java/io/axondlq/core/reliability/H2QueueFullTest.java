package io.axondlq.core.reliability;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2QueueFullTest extends QueueFullTestBase {
}
