package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;

class H2AutoRetryDueQueryTest extends AutoRetryDueQueryTest {

    @Override
    TestDatabase database() {
        return TestDatabase.H2;
    }
}
