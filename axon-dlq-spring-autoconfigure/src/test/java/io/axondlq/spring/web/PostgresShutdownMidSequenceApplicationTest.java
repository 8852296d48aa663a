package io.axondlq.spring.web;

import io.axondlq.testsupport.TestDatabase;

/** {@link ShutdownMidSequenceApplicationTest} with both applications on one embedded PostgreSQL database. */
class PostgresShutdownMidSequenceApplicationTest extends ShutdownMidSequenceApplicationTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRES;
    }
}
