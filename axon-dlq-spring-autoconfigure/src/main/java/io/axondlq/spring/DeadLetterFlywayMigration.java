package io.axondlq.spring;

import io.axondlq.jdbc.SqlDialect;
import org.flywaydb.core.Flyway;
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

    private DeadLetterFlywayMigration() {
    }

    static MigrateResult migrate(DataSource dataSource, SqlDialect dialect, String tablePrefix) {
        return Flyway.configure(DeadLetterFlywayMigration.class.getClassLoader())
                     .dataSource(dataSource)
                     .locations(dialect.schemaLocation())
                     .table(historyTable(tablePrefix))
                     .placeholders(Map.of("axon_dlq_prefix", tablePrefix))
                     .baselineOnMigrate(true)
                     .baselineVersion("0")
                     .load()
                     .migrate();
    }

    static String historyTable(String tablePrefix) {
        return tablePrefix + "schema_history";
    }
}
