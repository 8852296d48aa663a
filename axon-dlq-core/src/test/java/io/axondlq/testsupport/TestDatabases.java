package io.axondlq.testsupport;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * Hands out a fresh, isolated database per call. Instances track what they created so {@link #close()} releases
 * everything; {@link #fresh(TestDatabase)} is the untracked variant where the caller closes the result.
 */
public final class TestDatabases implements AutoCloseable {

    public static final int POOL_SIZE = 10;

    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final List<FreshDatabase> created = new ArrayList<>();

    /** Creates a fresh database that is closed together with this factory. */
    public synchronized FreshDatabase create(TestDatabase kind) {
        FreshDatabase db = fresh(kind);
        created.add(db);
        return db;
    }

    /** Shorthand for {@code create(kind).dataSource()}. */
    public DataSource createDataSource(TestDatabase kind) {
        return create(kind).dataSource();
    }

    /** Closes every pool (and drops every database) created through this instance. */
    @Override
    public synchronized void close() {
        RuntimeException failure = null;
        for (FreshDatabase db : created) {
            try {
                db.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        created.clear();
        if (failure != null) {
            throw failure;
        }
    }

    /** Creates a fresh database; the caller owns it and must close it. */
    public static FreshDatabase fresh(TestDatabase kind) {
        return fresh(kind, "");
    }

    /**
     * Creates a fresh database; on H2 in the given compatibility mode ({@code MODE=...}, none when empty), as
     * applications' tests often open it. The caller owns it and must close it.
     */
    public static FreshDatabase fresh(TestDatabase kind, String h2Mode) {
        String name = "test_" + COUNTER.incrementAndGet();
        if (!h2Mode.isEmpty() && kind != TestDatabase.H2) {
            throw new IllegalArgumentException("A compatibility mode is H2's: " + kind + " has none");
        }
        return switch (kind) {
            case POSTGRES -> freshPostgres(name);
            case H2 -> freshH2(name, h2Mode);
        };
    }

    private static FreshDatabase freshPostgres(String name) {
        try (Connection c = PostgresServer.superuserDataSource().getConnection();
             Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create PostgreSQL database " + name, e);
        }
        String url = PostgresServer.jdbcUrl(name);
        HikariConfig config = poolConfig(name, url);
        config.setUsername(PostgresServer.SUPERUSER);
        return new FreshDatabase(TestDatabase.POSTGRES, name, url, new HikariDataSource(config));
    }

    private static FreshDatabase freshH2(String name, String mode) {
        String url = "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1" + (mode.isEmpty() ? "" : ";MODE=" + mode);
        HikariConfig config = poolConfig(name, url);
        config.setUsername("sa");
        config.setPassword("");
        return new FreshDatabase(TestDatabase.H2, name, url, new HikariDataSource(config));
    }

    private static HikariConfig poolConfig(String name, String url) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("testdb-" + name);
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(POOL_SIZE);
        // Don't eagerly open 10 connections per test class; the server is shared by all classes in the JVM.
        config.setMinimumIdle(1);
        return config;
    }
}
