package io.axondlq.spring.web;

import io.axondlq.testsupport.TestDatabase;

/** {@link TwoNodesOnOneDatabaseTest} with both nodes on one H2 database. */
class H2TwoNodesOnOneDatabaseTest extends TwoNodesOnOneDatabaseTest {

    @Override
    TestDatabase database() {
        return TestDatabase.H2;
    }
}
