package io.axondlq.spring;

import io.axondlq.spring.properties.InitializeSchema;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@code axon.dlq.jdbc.initialize-schema=flyway} next to an application that runs its own Flyway migrations, on a
 * real PostgreSQL and H2: axon-dlq's versions live in their own history table, so the application's V1 and
 * axon-dlq's V1 never meet (one Flyway over both locations, as the README used to advise, refuses to start).
 */
class DeadLetterFlywayMigrationTest {

    private static Flyway applicationFlyway(FreshDatabase db, String... locations) {
        return Flyway.configure().dataSource(db.dataSource()).locations(locations)
                     .placeholders(Map.of("axon_dlq_prefix", "axon_dlq_")).load();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void axonDlqMigratesInItsOwnHistoryBesideTheApplicationsMigrations(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            assertThat(applicationFlyway(db, "classpath:db/app-migration").migrate().migrationsExecuted).isEqualTo(1);

            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY, "axon_dlq_").afterPropertiesSet();

            List<String> versions = jdbc.queryForList(
                    "SELECT \"version\" FROM \"axon_dlq_schema_history\" WHERE \"success\" = TRUE "
                            + "AND \"type\" = 'SQL' ORDER BY \"installed_rank\"", String.class);
            assertThat(versions).containsExactly("1", "2", "3", "4", "5", "6", "7");
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_sequence", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_retry_job", Integer.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM app_thing", Integer.class)).isZero();
            assertThat(applicationFlyway(db, "classpath:db/app-migration").info().applied())
                    .as("the application's history is its own").hasSize(1);

            // A restart finds nothing to do.
            int rows = jdbc.queryForObject("SELECT COUNT(*) FROM \"axon_dlq_schema_history\"", Integer.class);
            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY, "axon_dlq_").afterPropertiesSet();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"axon_dlq_schema_history\"", Integer.class))
                    .isEqualTo(rows);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void tablesCreatedAtStartUpBeforeAreTakenOverByFlyway(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.ALWAYS, "axon_dlq_").afterPropertiesSet();
            jdbc.update("INSERT INTO axon_dlq_group_lock (processing_group, lock_count) VALUES ('kept', 1)");

            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY, "axon_dlq_").afterPropertiesSet();

            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"axon_dlq_schema_history\" WHERE \"success\" = TRUE "
                                                   + "AND \"type\" = 'SQL'", Integer.class)).isEqualTo(7);
            assertThat(jdbc.queryForObject("SELECT lock_count FROM axon_dlq_group_lock", Integer.class))
                    .as("existing rows are kept").isEqualTo(1);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_schema_version", Integer.class))
                    .as("beside the record of initialize-schema=always, which is left alone").isEqualTo(7);
        }
    }

    /**
     * The other way round: a schema Flyway mode created, then started with {@code always}. Nothing runs again (V4's
     * repair would delete letters without a sequence row): what Flyway applied is recorded as such.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSchemaFlywayCreatedIsTakenOverByAlwaysWithoutRunningAnythingAgain(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY, "axon_dlq_").afterPropertiesSet();
            OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
            jdbc.update("INSERT INTO axon_dlq_letter (letter_id, processing_group, sequence_key, sequence_index, "
                                + "event_identifier, message_type, payload_type, payload, event_timestamp, enqueued_at, "
                                + "last_touched, attempts, parked) VALUES (?, 'g', 'no-sequence-row', 0, 'e-1', 'event', "
                                + "'Thing', ?, ?, ?, ?, 0, FALSE)", UUID.randomUUID(), new byte[]{1}, now, now, now);

            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.ALWAYS, "axon_dlq_").afterPropertiesSet();

            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Integer.class))
                    .as("V4 did not run again").isEqualTo(1);
            assertThat(jdbc.queryForList("SELECT applied_by FROM axon_dlq_schema_version", String.class))
                    .hasSize(7).containsOnly("flyway");
            int rows = jdbc.queryForObject("SELECT COUNT(*) FROM \"axon_dlq_schema_history\"", Integer.class);
            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY, "axon_dlq_").afterPropertiesSet();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"axon_dlq_schema_history\"", Integer.class))
                    .as("and Flyway mode again finds nothing to do").isEqualTo(rows);
        }
    }

    /**
     * H2 in a compatibility mode: Flyway would run the scripts as they are and fail on a type (BLOB in PostgreSQL mode)
     * with a half-created schema. The start fails at once, saying what to use instead; that one works.
     */
    @Test
    void flywayModeOnH2InACompatibilityModeFailsTheStartSayingToUseAlways() {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.H2, "PostgreSQL")) {
            assertThatThrownBy(() -> new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY,
                                                                     "axon_dlq_").afterPropertiesSet())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("compatibility mode PostgreSQL")
                    .hasMessageContaining("initialize-schema=always");
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                                   + "LOWER(table_name) LIKE 'axon_dlq_%'", Integer.class))
                    .as("nothing created").isZero();

            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.ALWAYS, "axon_dlq_").afterPropertiesSet();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_retry_job", Integer.class)).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void oneFlywayOverBothLocationsCollidesOnV1(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            String axonDlq = "classpath:db/axon-dlq/" + (kind == TestDatabase.H2 ? "h2" : "postgresql");
            assertThatThrownBy(() -> applicationFlyway(db, "classpath:db/app-migration", axonDlq).migrate())
                    .isInstanceOf(FlywayException.class).hasMessageContaining("more than one migration with version 1");
        }
    }

    /**
     * Flyway mode behind a peer that hangs mid-migration: another session holds Flyway's lock on axon-dlq's history
     * table (Flyway's advisory lock key: its constant plus the hash of the quoted table name) in an open transaction.
     * The start fails after a few tries, naming the lock and the way out, and applies nothing; once the lock is
     * released the next start migrates. Before, Flyway tried 50 times a second apart and then failed naming only its
     * own lockRetryCount option, which axon-dlq's Flyway does not take from the application.
     */
    @Test
    void flywayModeBehindAHeldFlywayLockFailsTheStartWithinTheLockWait() throws Exception {
        long flywayLockKey = 77431708279161L + "\"public\".\"axon_dlq_schema_history\"".hashCode();
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.POSTGRES)) {
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            try (Connection peer = db.dataSource().getConnection()) {
                peer.setAutoCommit(false);
                try (PreparedStatement lock = peer.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
                    lock.setLong(1, flywayLockKey);
                    lock.execute();
                }
                try {
                    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(
                            () -> new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY,
                                                                  "axon_dlq_").afterPropertiesSet())
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("Flyway's lock on axon_dlq_schema_history")
                            .hasMessageContaining("advisory lock")
                            .hasMessageContaining("No migration was applied")
                            .hasMessageContaining("pg_locks"));
                } finally {
                    peer.rollback();
                }
            }
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE "
                                                   + "LOWER(table_name) IN ('axon_dlq_sequence', 'axon_dlq_letter')",
                                           Integer.class)).as("no migration applied").isZero();

            new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.FLYWAY, "axon_dlq_").afterPropertiesSet();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_retry_job", Integer.class)).isZero();
        }
    }
}
