package io.axondlq.core.upcast;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2UpcastingRedeliveryIntegrationTest extends UpcastingRedeliveryIntegrationTest {
}
