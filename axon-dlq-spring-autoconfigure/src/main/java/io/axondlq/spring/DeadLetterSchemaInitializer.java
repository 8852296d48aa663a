package io.axondlq.spring;

import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.spring.properties.InitializeSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.jdbc.EmbeddedDatabaseConnection;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.util.ClassUtils;

import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Creates the store tables and the operations tables (retry jobs, audit) per {@code axon.dlq.jdbc.initialize-schema}:
 * by running the scripts of {@code classpath:db/axon-dlq/{postgresql|h2}} that {@code <prefix>schema_version} does not
 * record yet ({@link SchemaInitializer}: one node at a time, lock waits bounded), or as Flyway migrations with a history
 * table of their own ({@link DeadLetterFlywayMigration}).
 * <p>
 * It runs after the application's database initializers (Spring Boot's Flyway and Liquibase, {@code spring.sql.init}),
 * as a bean that depends on database initialization: a Flyway of the application that met axon-dlq's tables first
 * would find a non-empty schema without its history table and refuse to start, on every start. axon-dlq's own
 * scripts need nothing of the application's, and their history table is their own.
 */
@DependsOnDatabaseInitialization
public class DeadLetterSchemaInitializer implements InitializingBean {

    public static final String OPERATIONS_SCRIPT = SchemaInitializer.OPERATIONS_SCRIPT;
    private static final Logger logger = LoggerFactory.getLogger(DeadLetterSchemaInitializer.class);
    private static final String FLYWAY_CLASS = "org.flywaydb.core.Flyway";
    /** Flyway's support of PostgreSQL, a module of its own since Flyway 10 (Spring Boot does not add it). */
    private static final String FLYWAY_POSTGRESQL_CLASS = "org.flywaydb.database.postgresql.PostgreSQLDatabaseType";
    /** The same inside flyway-core, before Flyway 10: an application may pin an older Flyway. */
    private static final String FLYWAY_9_POSTGRESQL_CLASS =
            "org.flywaydb.core.internal.database.postgresql.PostgreSQLDatabaseType";

    private final DataSource dataSource;
    private final InitializeSchema mode;
    private final String tablePrefix;

    public DeadLetterSchemaInitializer(DataSource dataSource, InitializeSchema mode, String tablePrefix) {
        this.dataSource = dataSource;
        this.mode = mode;
        this.tablePrefix = tablePrefix;
    }

    @Override
    public void afterPropertiesSet() {
        SqlDialect dialect = SqlDialect.detect(dataSource);
        // Checked in every mode, before anything is created: otherwise the start succeeds and letters park, but every
        // listing, redelivery and automatic retry fails.
        SchemaInitializer.unsupportedCompatibilityMode(dataSource, dialect).ifPresent(compatibility -> {
            throw new IllegalStateException(
                    "axon-dlq cannot run on " + dialect + " in compatibility mode " + compatibility + ": its queries "
                            + "use LIMIT, which H2 rejects in that mode (letters would be stored but never listed, "
                            + "redelivered or retried). Open the database without MODE, or with MODE=PostgreSQL (or "
                            + "MySQL, MariaDB, DB2, HSQLDB, LEGACY), in spring.datasource.url.");
        });
        if (mode == InitializeSchema.FLYWAY) {
            migrateWithFlyway(dialect);
            return;
        }
        List<String> scripts = new ArrayList<>(SchemaInitializer.STORE_SCRIPTS);
        scripts.add(OPERATIONS_SCRIPT);
        if (!shouldInitialize()) {
            requireSchema(dialect, scripts);
            return;
        }
        List<String> applied = SchemaInitializer.initialize(dataSource, dialect, tablePrefix, scripts);
        logger.info("axon-dlq schema ready ({}, prefix [{}], applied {})", dialect, tablePrefix, applied);
    }

    private void migrateWithFlyway(SqlDialect dialect) {
        if (!ClassUtils.isPresent(FLYWAY_CLASS, getClass().getClassLoader())) {
            throw new IllegalStateException("axon.dlq.jdbc.initialize-schema=flyway needs org.flywaydb:flyway-core on "
                                                    + "the classpath (and flyway-database-postgresql for PostgreSQL)");
        }
        // Without it Flyway says only "Unsupported Database", naming neither the module nor who asked for Flyway.
        if (dialect == SqlDialect.POSTGRESQL
                && !ClassUtils.isPresent(FLYWAY_POSTGRESQL_CLASS, getClass().getClassLoader())
                && !ClassUtils.isPresent(FLYWAY_9_POSTGRESQL_CLASS, getClass().getClassLoader())) {
            throw new IllegalStateException("axon.dlq.jdbc.initialize-schema=flyway on PostgreSQL needs "
                                                    + "org.flywaydb:flyway-database-postgresql on the classpath, beside "
                                                    + "flyway-core (Flyway's PostgreSQL support is a module of its own)");
        }
        // Flyway runs the scripts as they are, written for the databases' own modes (H2's PostgreSQL mode knows no BLOB).
        SchemaInitializer.compatibilityMode(dataSource, dialect).ifPresent(compatibility -> {
            throw new IllegalStateException(
                    "axon.dlq.jdbc.initialize-schema=flyway cannot create axon-dlq's tables on " + dialect + " in "
                            + "compatibility mode " + compatibility + ": its migrations are written for H2's regular "
                            + "mode. Use initialize-schema=always (or embedded, the default, for an in-memory "
                            + "database): it creates the same tables in every mode.");
        });
        int applied = DeadLetterFlywayMigration.migrate(dataSource, dialect, tablePrefix).migrationsExecuted;
        logger.info("axon-dlq schema ready ({}, prefix [{}], Flyway history [{}], {} migration(s) applied)", dialect,
                    tablePrefix, DeadLetterFlywayMigration.historyTable(tablePrefix), applied);
    }

    /**
     * Without its tables every batch of an axon-dlq group would fail and be retried forever while the application
     * looks healthy: a schema someone else creates is checked at start instead (read only).
     */
    private void requireSchema(SqlDialect dialect, List<String> scripts) {
        SchemaInitializer.SchemaGaps gaps = SchemaInitializer.gaps(dataSource, dialect, tablePrefix, scripts);
        if (gaps.none()) {
            return;
        }
        String why = mode == InitializeSchema.EMBEDDED
                ? "axon.dlq.jdbc.initialize-schema=embedded (the default) creates it only in an embedded database"
                : "axon.dlq.jdbc.initialize-schema=never leaves it to you";
        String lacks = !gaps.missingTables().isEmpty() ? "lacks the tables " + gaps.missingTables()
                : !gaps.missingScripts().isEmpty() ? "lacks the migrations " + gaps.missingScripts()
                        + " (by its record " + tablePrefix + "schema_version or "
                        + DeadLetterFlywayMigration.historyTable(tablePrefix) + ")"
                : "lacks the columns " + gaps.missingColumns();
        throw new IllegalStateException(
                "axon-dlq's schema (table prefix [" + tablePrefix + "]) in this " + dialect + " database " + lacks
                        + ": " + why + ". Set axon.dlq.jdbc.initialize-schema=always or flyway, or apply the scripts "
                        + "of " + dialect.schemaLocation() + " before starting.");
    }

    boolean shouldInitialize() {
        return switch (mode) {
            case ALWAYS -> true;
            case NEVER, FLYWAY -> false;
            case EMBEDDED -> EmbeddedDatabaseConnection.isEmbedded(dataSource);
        };
    }
}
