package io.axondlq.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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

    /** V4 deletes letters left without their sequence row by an old eviction race; the delete must commit. */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aRerunsRepairsCommitOnAPoolThatDoesNotAutoCommit(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind); HikariDataSource manualCommit = manualCommitPool(db)) {
            SchemaInitializer.initialize(db.dataSource(), PREFIX);
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            jdbc.update("INSERT INTO " + PREFIX + "letter (letter_id, processing_group, sequence_key, sequence_index, "
                                + "event_identifier, message_type, payload_type, payload, event_timestamp, "
                                + "enqueued_at, last_touched, attempts, parked) "
                                + "VALUES (?, 'g', 'orphan', 0, 'e-1', 'event', 'Thing', ?, ?, ?, ?, 0, FALSE)",
                        UUID.randomUUID(), new byte[]{1}, now, now, now);

            SchemaInitializer.initialize(manualCommit, PREFIX);

            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter", Integer.class))
                    .as("the orphaned letter's delete is committed").isZero();
        }
    }

    /**
     * Inside a caller's transaction the script is the caller's: it does not commit it. PostgreSQL only: H2 commits
     * the transaction at every DDL statement.
     */
    @ParameterizedTest
    @EnumSource(value = TestDatabase.class, names = "POSTGRES")
    void insideACallersTransactionTheScriptIsTheCallers(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind); HikariDataSource manualCommit = manualCommitPool(db)) {
            SchemaInitializer.initialize(db.dataSource(), PREFIX);
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            jdbc.update("INSERT INTO " + PREFIX + "letter (letter_id, processing_group, sequence_key, sequence_index, "
                                + "event_identifier, message_type, payload_type, payload, event_timestamp, "
                                + "enqueued_at, last_touched, attempts, parked) "
                                + "VALUES (?, 'g', 'orphan', 0, 'e-1', 'event', 'Thing', ?, ?, ?, ?, 0, FALSE)",
                        UUID.randomUUID(), new byte[]{1}, now, now, now);

            new TransactionTemplate(new DataSourceTransactionManager(manualCommit)).executeWithoutResult(status -> {
                SchemaInitializer.initialize(manualCommit, PREFIX);
                status.setRollbackOnly();
            });

            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter", Integer.class))
                    .as("rolled back with the caller").isEqualTo(1);
        }
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
