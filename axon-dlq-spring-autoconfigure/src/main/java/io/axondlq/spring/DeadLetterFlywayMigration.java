package io.axondlq.spring;

import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.SchemaInitializer;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

import java.util.Map;
import javax.sql.DataSource;

/**
 * Runs axon-dlq's migrations with a Flyway of their own. Its history table is {@code <prefix>schema_history}, so the
 * versions (V1, V2, ...) never meet the application's migrations, whatever Flyway setup the application has. A schema
 * that holds other tables, or axon-dlq's tables created by {@code initialize-schema=always}, is baselined at version
 * 0: every script runs once, and each is safe on tables that exist already.
 */
final class DeadLetterFlywayMigration {

    /**
     * How often Flyway tries its lock on PostgreSQL (an advisory lock), a second apart: the bound of
     * {@link SchemaInitializer#DEFAULT_LOCK_TIMEOUT}, so that a peer hanging mid-migration fails this start as it does
     * in the initializer's modes. Flyway's own default (50) would hold the start for almost a minute.
     */
    static final int LOCK_RETRIES = (int) Math.max(1, SchemaInitializer.DEFAULT_LOCK_TIMEOUT.toSeconds());

    private DeadLetterFlywayMigration() {
    }

    static MigrateResult migrate(DataSource dataSource, SqlDialect dialect, String tablePrefix) {
        try {
            return Flyway.configure(DeadLetterFlywayMigration.class.getClassLoader())
                         .dataSource(dataSource)
                         .locations(dialect.schemaLocation())
                         .table(historyTable(tablePrefix))
                         .placeholders(Map.of("axon_dlq_prefix", tablePrefix))
                         .baselineOnMigrate(true)
                         .baselineVersion("0")
                         .lockRetryCount(LOCK_RETRIES)
                         .load()
                         .migrate();
        } catch (FlywayException e) {
            // Flyway tells its lock wait from other failures by its message only.
            if (e.getMessage() != null && e.getMessage().contains("advisory lock")) {
                throw new IllegalStateException(
                        "axon-dlq could not migrate its schema with Flyway: another session held Flyway's lock on "
                                + historyTable(tablePrefix) + " (a PostgreSQL advisory lock) through " + LOCK_RETRIES
                                + " tries a second apart. Another node is running these migrations, or a session "
                                + "that took the lock is stuck in an open transaction. No migration was applied. Start "
                                + "again once the other node's start is done; if the lock stays held, find its session "
                                + "in pg_locks (locktype 'advisory') and pg_stat_activity, and end its transaction.", e);
            }
            throw e;
        }
    }

    static String historyTable(String tablePrefix) {
        return tablePrefix + "schema_history";
    }
}
