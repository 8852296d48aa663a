package io.axondlq.testsupport;

import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A freshly created, isolated database with its own connection pool. {@link #close()} shuts the pool down and
 * drops the database so long test runs don't accumulate them.
 */
public final class FreshDatabase implements AutoCloseable {

    private final TestDatabase kind;
    private final String name;
    private final String jdbcUrl;
    private final HikariDataSource dataSource;
    private final AtomicBoolean closed = new AtomicBoolean();

    FreshDatabase(TestDatabase kind, String name, String jdbcUrl, HikariDataSource dataSource) {
        this.kind = kind;
        this.name = name;
        this.jdbcUrl = jdbcUrl;
        this.dataSource = dataSource;
    }

    public TestDatabase kind() {
        return kind;
    }

    /** Database name, e.g. {@code test_7}. */
    public String name() {
        return name;
    }

    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** The pooled DataSource (HikariCP, max 10 connections). */
    public HikariDataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (kind == TestDatabase.H2 && !dataSource.isClosed()) {
                // DB_CLOSE_DELAY=-1 keeps in-memory databases alive forever otherwise.
                try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
                    s.execute("SHUTDOWN");
                }
            }
        } catch (SQLException ignored) {
            // Best effort: the database is throwaway.
        } finally {
            dataSource.close();
        }
        if (kind == TestDatabase.POSTGRES) {
            try (Connection c = PostgresServer.superuserDataSource().getConnection();
                 Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            } catch (SQLException ignored) {
                // Best effort: the whole server is discarded at JVM exit anyway.
            }
        }
    }

    @Override
    public String toString() {
        return kind + ":" + name;
    }
}
