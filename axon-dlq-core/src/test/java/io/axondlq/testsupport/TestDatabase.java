package io.axondlq.testsupport;

/** The database engines the JDBC store is tested against. */
public enum TestDatabase {
    POSTGRES,
    H2
}
