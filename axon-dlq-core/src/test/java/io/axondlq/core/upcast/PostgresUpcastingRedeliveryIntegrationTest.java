package io.axondlq.core.upcast;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresUpcastingRedeliveryIntegrationTest extends UpcastingRedeliveryIntegrationTest {
}
