package io.axondlq.core;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

@UsesDatabase(TestDatabase.H2)
class H2WithoutSpringBootTest extends WithoutSpringBootTest {
}
