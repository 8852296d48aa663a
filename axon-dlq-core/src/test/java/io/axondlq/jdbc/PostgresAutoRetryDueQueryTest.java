package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;

class PostgresAutoRetryDueQueryTest extends AutoRetryDueQueryTest {

    @Override
    TestDatabase database() {
        return TestDatabase.POSTGRES;
    }
}
