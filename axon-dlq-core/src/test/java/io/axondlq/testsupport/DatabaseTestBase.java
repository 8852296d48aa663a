package io.axondlq.testsupport;

import org.junit.jupiter.api.extension.ExtendWith;

import javax.sql.DataSource;

/**
 * Optional base class for database tests: subclasses get a fresh database per test class in {@link #dataSource}.
 * Select the database with {@link UsesDatabase} on the concrete class, or by overriding {@link #database()}.
 */
@ExtendWith(PerClassDatabaseExtension.class)
public abstract class DatabaseTestBase {

    /** Fresh per test class; shared by all test methods of that class. */
    @TestDataSource
    protected DataSource dataSource;

    /** The kind of {@link #dataSource}. */
    @TestDataSource
    protected TestDatabase testDatabase;

    /**
     * The database to run against when the class has no {@link UsesDatabase}. Called before the
     * {@link TestDataSource} fields are injected, so implementations should just return a constant.
     */
    protected TestDatabase database() {
        return null;
    }
}
