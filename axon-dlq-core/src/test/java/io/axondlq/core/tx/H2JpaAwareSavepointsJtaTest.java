package io.axondlq.core.tx;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2JpaAwareSavepointsJtaTest extends JpaAwareSavepointsJtaTest {
}
