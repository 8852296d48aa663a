package io.axondlq.core.tx;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresJpaAwareSavepointsJtaTest extends JpaAwareSavepointsJtaTest {
}
