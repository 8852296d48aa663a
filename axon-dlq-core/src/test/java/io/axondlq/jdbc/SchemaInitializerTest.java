package io.axondlq.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.LegacySchema;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SchemaInitializer} (what {@code initialize-schema=always} runs at every start) on a pool that does not
 * auto-commit ({@code spring.datasource.hikari.auto-commit=false}), which rolls back whatever a connection left
 * uncommitted when it is returned: on PostgreSQL that is DDL too, on both databases a script's repairs. Read back on
 * the database's own pool, as another node would.
 */
class SchemaInitializerTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    private static final List<String> STORE_SCRIPTS = SchemaInitializer.STORE_SCRIPTS;

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aFreshSchemaIsCreatedOnAPoolThatDoesNotAutoCommit(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind); HikariDataSource manualCommit = manualCommitPool(db)) {
            SqlDialect dialect = SqlDialect.detect(manualCommit);
            SchemaInitializer.initialize(manualCommit, dialect, PREFIX);
            SchemaInitializer.initialize(manualCommit, dialect, PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);

            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "scheduler_lease", Integer.class))
                    .isZero();
        }
    }

    /**
     * V4 deletes letters left without their sequence row by an old eviction race; the delete must commit. A schema
     * that an earlier version's {@code always} created (V1 to V3, nothing recorded) gets it when it is taken over.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aTakeOversRepairsCommitOnAPoolThatDoesNotAutoCommit(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind); HikariDataSource manualCommit = manualCommitPool(db)) {
            LegacySchema.apply(db.dataSource(), kind, "V1__axon_dlq_schema.sql", "V3__axon_dlq_sequence_keys.sql");
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            insertOrphanLetter(jdbc);

            SchemaInitializer.initialize(manualCommit, PREFIX);

            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter", Integer.class))
                    .as("the orphaned letter's delete is committed").isZero();
            assertThat(jdbc.queryForList("SELECT script FROM " + PREFIX + "schema_version", String.class))
                    .as("and so is the record of the scripts").containsExactlyInAnyOrderElementsOf(STORE_SCRIPTS);
        }
    }

    /**
     * Inside a caller's transaction the scripts are the caller's: it does not commit them, their record neither.
     * PostgreSQL only: H2 commits the transaction at every DDL statement.
     */
    @ParameterizedTest
    @EnumSource(value = TestDatabase.class, names = "POSTGRES")
    void insideACallersTransactionTheScriptIsTheCallers(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind); HikariDataSource manualCommit = manualCommitPool(db)) {
            LegacySchema.apply(db.dataSource(), kind, "V1__axon_dlq_schema.sql", "V3__axon_dlq_sequence_keys.sql");
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            insertOrphanLetter(jdbc);

            new TransactionTemplate(new DataSourceTransactionManager(manualCommit)).executeWithoutResult(status -> {
                SchemaInitializer.initialize(manualCommit, PREFIX);
                status.setRollbackOnly();
            });

            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter", Integer.class))
                    .as("rolled back with the caller").isEqualTo(1);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '"
                                                   + PREFIX + "schema_version'", Integer.class))
                    .as("the record too: the next start applies the scripts").isZero();
        }
    }

    /**
     * H2 in PostgreSQL compatibility mode, as applications' tests open it: the scripts' BLOB and CLOB are unknown there,
     * the same types under their standard names are not.
     */
    @Test
    void theSchemaIsCreatedOnH2InPostgreSqlMode() {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.H2, "PostgreSQL")) {
            SchemaInitializer.initialize(db.dataSource(), PREFIX);
            SchemaInitializer.initialize(db.dataSource(), SqlDialect.H2, PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);

            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            assertThat(jdbc.queryForObject("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE "
                                                   + "SETTING_NAME = 'MODE'", String.class)).isEqualTo("PostgreSQL");
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "retry_job", Integer.class)).isZero();
            assertThat(jdbc.queryForList("SELECT DATA_TYPE FROM INFORMATION_SCHEMA.COLUMNS WHERE "
                                                 + "LOWER(TABLE_NAME) = '" + PREFIX + "letter' AND LOWER(COLUMN_NAME) "
                                                 + "IN ('payload', 'cause_stack_trace') ORDER BY COLUMN_NAME",
                                         String.class))
                    .as("the scripts' types under their standard names")
                    .containsExactly("CHARACTER LARGE OBJECT", "BINARY LARGE OBJECT");
        }
    }

    private static void insertOrphanLetter(JdbcTemplate jdbc) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        jdbc.update("INSERT INTO " + PREFIX + "letter (letter_id, processing_group, sequence_key, sequence_index, "
                            + "event_identifier, message_type, payload_type, payload, event_timestamp, "
                            + "enqueued_at, last_touched, attempts, parked) "
                            + "VALUES (?, 'g', 'orphan', 0, 'e-1', 'event', 'Thing', ?, ?, ?, ?, 0, FALSE)",
                    UUID.randomUUID(), new byte[]{1}, now, now, now);
    }

    /** A second pool on the fresh database, with auto-commit off. */
    private static HikariDataSource manualCommitPool(FreshDatabase db) {
        HikariConfig config = new HikariConfig();
        db.dataSource().copyStateTo(config);
        config.setPoolName(config.getPoolName() + "-manual-commit");
        config.setAutoCommit(false);
        config.setMaximumPoolSize(3);
        return new HikariDataSource(config);
    }
}
