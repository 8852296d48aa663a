package io.axondlq.core;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresWithoutSpringBootTest extends WithoutSpringBootTest {
}
