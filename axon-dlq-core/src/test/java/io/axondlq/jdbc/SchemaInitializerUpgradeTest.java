package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.LegacySchema;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upgrading a schema that an earlier version's {@code initialize-schema=always} created, with rows that version wrote:
 * the start takes it over (runs what is missing, every script once, records them), keeps the rows, and the start after
 * it applies nothing, the V4 repair included.
 */
class SchemaInitializerUpgradeTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    private static final OffsetDateTime T0 = OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSchemaAtV3IsMigratedWithItsRowsIntactAndTheNextStartAppliesNothing(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            LegacySchema.apply(db.dataSource(), kind, "V1__axon_dlq_schema.sql", "V2__axon_dlq_operations.sql",
                               "V3__axon_dlq_sequence_keys.sql");
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            UUID letterId = UUID.randomUUID();
            // As the code of V3 wrote them: a hashed key with its full key, no digest, no database touch time.
            jdbc.update("INSERT INTO " + PREFIX + "sequence (processing_group, sequence_key, segment_key, full_key, "
                                + "letter_count, last_index, oldest_enqueued_at, last_touched, claim_owner, "
                                + "claim_until) VALUES ('orders', '~sha-256:abc', 7, 'order-42', 1, 0, ?, ?, NULL, NULL)",
                        T0, T0.plusMinutes(1));
            jdbc.update("INSERT INTO " + PREFIX + "letter (letter_id, processing_group, sequence_key, sequence_index, "
                                + "event_identifier, message_type, payload_type, payload_revision, payload, meta_data, "
                                + "event_timestamp, enqueued_at, last_touched, cause_type, cause_message, "
                                + "cause_stack_trace, attempts, parked) VALUES (?, 'orders', '~sha-256:abc', 0, 'e-42', "
                                + "'event', 'OrderPlaced', '1', ?, ?, ?, ?, ?, 'java.lang.IllegalStateException', "
                                + "'boom', 'at here', 2, FALSE)",
                        letterId, new byte[]{1, 2, 3}, new byte[]{4}, T0, T0, T0.plusMinutes(1));
            jdbc.update("INSERT INTO " + PREFIX + "attempt (letter_id, attempt, failed_at, node, cause_type, "
                                + "cause_message) VALUES (?, 1, ?, 'node-a', 'java.lang.IllegalStateException', 'boom')",
                        letterId, T0);
            jdbc.update("INSERT INTO " + PREFIX + "auto_retry (processing_group, sequence_key, retries, last_retry_at, "
                                + "last_outcome, next_at) VALUES ('orders', '~sha-256:abc', 1, ?, 'FAILED', ?)",
                        T0, T0.plusMinutes(5));
            insertOrphanLetter(jdbc, "before");

            SqlDialect dialect = SqlDialect.detect(db.dataSource());
            SchemaInitializer.initialize(db.dataSource(), dialect, PREFIX);
            SchemaInitializer.initialize(db.dataSource(), dialect, PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);

            Map<String, Object> sequence = jdbc.queryForMap("SELECT * FROM " + PREFIX + "sequence");
            assertThat(sequence).containsEntry("full_key", "order-42").containsEntry("letter_count", 1)
                                .containsEntry("touched_at", null);
            assertThat(jdbc.queryForObject("SELECT last_touched FROM " + PREFIX + "sequence", OffsetDateTime.class)
                           .toInstant()).isEqualTo(T0.plusMinutes(1).toInstant());
            assertThat(jdbc.queryForObject("SELECT payload FROM " + PREFIX + "letter WHERE letter_id = ?",
                                           byte[].class, letterId)).containsExactly(1, 2, 3);
            assertThat(jdbc.queryForMap("SELECT cause_message, attempts, event_digest FROM " + PREFIX + "letter WHERE "
                                                + "letter_id = ?", letterId))
                    .containsEntry("cause_message", "boom").containsEntry("attempts", 2)
                    .containsEntry("event_digest", null);
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "attempt", Integer.class)).isEqualTo(1);
            assertThat(jdbc.queryForObject("SELECT retries FROM " + PREFIX + "auto_retry", Integer.class)).isEqualTo(1);
            assertThat(jdbc.queryForList("SELECT sequence_key FROM " + PREFIX + "letter", String.class))
                    .as("V4 repaired the orphan, once").containsExactly("~sha-256:abc");
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "group_lock", Integer.class)).isZero();
            assertThat(jdbc.queryForList("SELECT script FROM " + PREFIX + "schema_version", String.class))
                    .containsExactlyInAnyOrderElementsOf(allScripts());
            JdbcDeadLetterStore store = JdbcDeadLetterStoreTest.storeOn(db.dataSource(), "node-b",
                                                                        new DeadLetterLimits(10, 10));
            assertThat(store.contains("orders", "~sha-256:abc")).isTrue();
            assertThat(store.sequenceSize("orders", "~sha-256:abc")).isEqualTo(1);

            // The next start: nothing to apply, so nothing runs, the V4 repair neither.
            insertOrphanLetter(jdbc, "after");
            CountingDataSource counting = new CountingDataSource(db.dataSource());
            SchemaInitializer.initialize(counting, dialect, PREFIX);
            SchemaInitializer.initialize(counting, dialect, PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);
            assertThat(counting.executions()).allSatisfy(execution -> assertThat(
                    execution.sql().stripLeading().toUpperCase()).startsWith("SELECT"));
            assertThat(jdbc.queryForList("SELECT sequence_key FROM " + PREFIX + "letter", String.class))
                    .containsExactlyInAnyOrder("~sha-256:abc", "after");
        }
    }

    private static void insertOrphanLetter(JdbcTemplate jdbc, String key) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MILLIS);
        jdbc.update("INSERT INTO " + PREFIX + "letter (letter_id, processing_group, sequence_key, sequence_index, "
                            + "event_identifier, message_type, payload_type, payload, event_timestamp, "
                            + "enqueued_at, last_touched, attempts, parked) "
                            + "VALUES (?, 'orders', ?, 0, ?, 'event', 'Thing', ?, ?, ?, ?, 0, FALSE)",
                    UUID.randomUUID(), key, "e-" + key, new byte[]{1}, now, now, now);
    }

    private static List<String> allScripts() {
        List<String> scripts = new ArrayList<>(SchemaInitializer.STORE_SCRIPTS);
        scripts.add(SchemaInitializer.OPERATIONS_SCRIPT);
        return scripts;
    }
}
