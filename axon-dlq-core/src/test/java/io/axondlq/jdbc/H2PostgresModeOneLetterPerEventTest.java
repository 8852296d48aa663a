package io.axondlq.jdbc;

import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;

/** One letter per event on H2 in PostgreSQL compatibility mode ({@code MODE=PostgreSQL}). */
@UsesDatabase(value = TestDatabase.H2, h2Mode = "PostgreSQL")
class H2PostgresModeOneLetterPerEventTest extends OneLetterPerEventTest {
}
