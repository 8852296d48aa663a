package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

/** The store on H2 in PostgreSQL compatibility mode ({@code MODE=PostgreSQL}), as applications' tests often open it. */
@UsesDatabase(value = TestDatabase.H2, h2Mode = "PostgreSQL")
class H2PostgresModeJdbcDeadLetterStoreTest extends JdbcDeadLetterStoreTest {
}
