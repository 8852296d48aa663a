package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The automatic-retry due query ({@link JdbcDeadLetterStore#dueForAutomaticRetry}) finds exactly the due sequences,
 * least recently touched first: on rows written before V7 (schema V1..V6 and V2, rows of that shape, then V7), for
 * the configured schedule and for a changed one (longer, shorter, other waits), and after retries recorded and
 * sequences touched once V7 is in place. "Due" is the definition of the query before V7, written out here as the
 * reference: unclaimed (or the claim expired), fewer automatic retries than the schedule has steps, and the later of
 * the last touch (touched_at, last_touched before V6) and the last automatic retry at least schedule[retries] in the
 * database's past. Each test gets a database of its own. Times sit 30 s off every step boundary, so the few seconds
 * between the reference and the store's query never change the answer.
 */
abstract class AutoRetryDueQueryTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    private static final String V7 = "V7__axon_dlq_retry_due.sql";
    private static final String GROUP = "due-group";
    private static final String OTHER_GROUP = "other-group";
    private static final List<Duration> SCHEDULE = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
                                                           Duration.ofMinutes(30));

    /** The reference: the due query before V7, verbatim but for the dialect's time arithmetic. */
    private static String reference(SqlDialect dialect, int scheduled) {
        boolean postgres = dialect == SqlDialect.POSTGRESQL;
        String now = postgres ? "statement_timestamp()" : "CURRENT_TIMESTAMP";
        String retries = "COALESCE(a.retries, 0)";
        String touched = "COALESCE(s.touched_at, s.last_touched)";
        String base = "GREATEST(" + touched + ", COALESCE(a.last_retry_at, " + touched + "))";
        StringBuilder due = new StringBuilder();
        for (int k = 0; k < scheduled; k++) {
            String dueAt = postgres ? "(" + base + " + :wait" + k + " * INTERVAL '1 millisecond')"
                    : "DATEADD(MILLISECOND, :wait" + k + ", " + base + ")";
            due.append(k == 0 ? "" : " OR ").append('(').append(retries).append(" = ").append(k).append(" AND ")
               .append(dueAt).append(" <= ").append(now).append(')');
        }
        return "SELECT s.sequence_key, " + retries + " AS retries FROM " + PREFIX + "sequence s LEFT JOIN " + PREFIX
                + "auto_retry a ON a.processing_group = s.processing_group AND a.sequence_key = s.sequence_key "
                + "WHERE s.processing_group = :processing_group AND " + retries + " < :scheduled "
                + "AND (s.claim_owner IS NULL OR s.claim_until < " + now + ") AND (" + due + ") "
                + "ORDER BY s.last_touched, s.sequence_key";
    }

    abstract TestDatabase database();

    private FreshDatabase db;
    private DataSource dataSource;
    private SqlDialect dialect;
    private JdbcTemplate jdbc;
    private NamedParameterJdbcTemplate named;
    private JdbcDeadLetterStore store;
    /** The database's time when the rows were written; every row's times are minutes (and 30 s) before it. */
    private OffsetDateTime now;

    @BeforeEach
    void preV7Schema() {
        db = TestDatabases.fresh(database());
        dataSource = db.dataSource();
        dialect = SqlDialect.detect(dataSource);
        // The schema as it was before V7: the store's scripts (V1, V3..V6) and the operations tables (V2).
        SchemaInitializer.initialize(dataSource, dialect, PREFIX, beforeV7());
        jdbc = new JdbcTemplate(dataSource);
        named = new NamedParameterJdbcTemplate(dataSource);
        now = jdbc.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class)
                  .withOffsetSameInstant(ZoneOffset.UTC);
        store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", new DeadLetterLimits(1_000_000, 1_000));
    }

    @AfterEach
    void dropDatabase() {
        db.close();
    }

    @Test
    void rowsWrittenBeforeV7AreFoundInLastTouchedOrderAndNothingDueIsMissed() {
        writeFixture();
        applyV7();

        List<String> expected = List.of(
                "claim-expired:0",   // touched 3 h ago, its claim ran out an hour ago
                "unreadable:1",      // touched 2 h ago, retried 6 m ago without a touch (UNREADABLE), step 2 is 5 m
                "two-due:2",         // retried 31 m ago (touched 40 m ago), step 3 is 30 m
                "one-due:1",         // retried 6 m ago (touched 20 m ago), step 2 is 5 m
                "pre-v6-due:0",      // no database time (written before V6): node time 3 m ago, step 1 is 1 m
                "never-due:0");      // parked 2 m ago, step 1 is 1 m
        assertThat(due(SCHEDULE, 100)).containsExactlyElementsOf(expected);
        assertThat(due(SCHEDULE, 100)).containsExactlyElementsOf(reference(SCHEDULE));
        assertThat(due(SCHEDULE, 2)).as("the limit takes the least recently touched")
                                    .containsExactlyElementsOf(expected.subList(0, 2));
    }

    @Test
    void aChangedScheduleAppliesToRowsWrittenBeforeV7AtOnce() {
        writeFixture();
        applyV7();

        // Longer: the used-up sequences (3 retries, the last 10 days ago) are due for the new fourth step.
        List<Duration> longer = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(30),
                                        Duration.ofHours(2));
        assertThat(due(longer, 1000)).contains("used-up-0:3", "used-up-199:3").hasSize(6 + 200)
                                     .containsExactlyElementsOf(reference(longer));
        // Shorter: two retries are the whole schedule now, two-due waits for an operator.
        List<Duration> shorter = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5));
        assertThat(due(shorter, 1000)).doesNotContain("two-due:2").contains("one-due:1", "never-due:0")
                                      .containsExactlyElementsOf(reference(shorter));
        // Other waits: step 1 is 10 m (never-due is not due), step 2 a minute (one-touched-since is due), step 3
        // an hour (two-due is not due).
        List<Duration> other = List.of(Duration.ofMinutes(10), Duration.ofMinutes(1), Duration.ofHours(1));
        assertThat(due(other, 1000)).containsExactly("claim-expired:0", "unreadable:1", "one-due:1",
                                                     "one-touched-since:1")
                                    .containsExactlyElementsOf(reference(other));
    }

    /**
     * Random rows of every shape (with and without a database touch time, with and without retries, used up or not,
     * claimed or not), some written before V7 and some after it, retries recorded and sequences touched through the
     * store after V7: for several schedules the store finds what the reference finds, in its order.
     */
    @Test
    void randomRowsBeforeAndAfterV7MatchTheReferenceForSeveralSchedules() {
        Random random = new Random(7);
        for (int i = 0; i < 400; i++) {
            randomRow(random, "old-" + i, false);
        }
        applyV7();
        for (int i = 0; i < 400; i++) {
            randomRow(random, "new-" + i, true);
        }
        List<List<Duration>> schedules = List.of(SCHEDULE, List.of(Duration.ofMinutes(1)),
                                                 List.of(Duration.ofMinutes(2), Duration.ofMinutes(4),
                                                         Duration.ofMinutes(8), Duration.ofMinutes(16),
                                                         Duration.ofMinutes(32), Duration.ofMinutes(64)),
                                                 List.of(Duration.ofHours(1), Duration.ZERO, Duration.ofMinutes(3)));
        assertMatchesReference(schedules);

        // Retries recorded by the store now (by the database's clock): the sequence moves to its next step and its
        // schedule counts from now, so it is not due; a failed redelivery's touch does the same.
        List<String> dueBefore = reference(SCHEDULE);
        assertThat(dueBefore).hasSizeGreaterThan(10);
        for (String due : dueBefore.subList(0, 5)) {
            String key = due.substring(0, due.indexOf(':'));
            int retries = Integer.parseInt(due.substring(due.indexOf(':') + 1));
            assertThat(store.recordAutomaticRetry(GROUP, key, retries + 1, "FAILED", null)).isTrue();
        }
        for (String due : dueBefore.subList(5, 8)) {
            String key = due.substring(0, due.indexOf(':'));
            jdbc.update("UPDATE " + PREFIX + "sequence SET touched_at = CURRENT_TIMESTAMP WHERE processing_group = ? "
                                + "AND sequence_key = ?", GROUP, key);
        }
        List<String> dueAfter = reference(SCHEDULE);
        assertThat(dueAfter).doesNotContainAnyElementsOf(dueBefore.subList(0, 8))
                            .containsAll(dueBefore.subList(8, dueBefore.size()));
        assertMatchesReference(schedules);
    }

    private void assertMatchesReference(List<List<Duration>> schedules) {
        for (List<Duration> schedule : schedules) {
            List<String> reference = reference(schedule);
            assertThat(due(schedule, 10_000)).as("schedule %s", schedule).containsExactlyElementsOf(reference);
            assertThat(due(schedule, 7)).as("schedule %s, limit 7", schedule)
                                        .containsExactlyElementsOf(reference.subList(0, Math.min(7, reference.size())));
        }
    }

    // --- rows ---------------------------------------------------------------------------------------------------

    /** The named sequences of the tests above, and 200 used-up ones touched and retried long ago. */
    private void writeFixture() {
        for (int i = 0; i < 200; i++) {
            sequence(GROUP, "used-up-" + i, ago(Duration.ofDays(20).plusMinutes(i)), true, null);
            retried(GROUP, "used-up-" + i, 3, ago(Duration.ofDays(10).plusMinutes(i)));
        }
        sequence(GROUP, "never-due", ago(Duration.ofMinutes(2)), true, null);
        sequence(GROUP, "never-not-due", ago(Duration.ZERO), true, null);
        sequence(GROUP, "pre-v6-due", ago(Duration.ofMinutes(3)), false, null);
        sequence(GROUP, "pre-v6-not-due", ago(Duration.ZERO), false, null);
        sequence(GROUP, "one-due", ago(Duration.ofMinutes(20)), true, null);
        retried(GROUP, "one-due", 1, ago(Duration.ofMinutes(6)));
        // A failed operator redelivery touched it after its retry: it counts from that touch.
        sequence(GROUP, "one-touched-since", ago(Duration.ofMinutes(2)), true, null);
        retried(GROUP, "one-touched-since", 1, ago(Duration.ofMinutes(20)));
        sequence(GROUP, "two-due", ago(Duration.ofMinutes(40)), true, null);
        retried(GROUP, "two-due", 2, ago(Duration.ofMinutes(31)));
        sequence(GROUP, "two-not-due", ago(Duration.ofMinutes(40)), true, null);
        retried(GROUP, "two-not-due", 2, ago(Duration.ofMinutes(10)));
        // An UNREADABLE retry counts but touches nothing: it counts from the retry.
        sequence(GROUP, "unreadable", ago(Duration.ofHours(2)), true, null);
        retried(GROUP, "unreadable", 1, ago(Duration.ofMinutes(6)));
        sequence(GROUP, "claimed", ago(Duration.ofHours(4)), true, now.plusHours(1));
        sequence(GROUP, "claim-expired", ago(Duration.ofHours(3)), true, now.minusHours(1));
        sequence(OTHER_GROUP, "elsewhere", ago(Duration.ofHours(5)), true, null);
    }

    private void randomRow(Random random, String key, boolean afterV7) {
        String group = random.nextInt(10) == 0 ? OTHER_GROUP : GROUP;
        OffsetDateTime touched = ago(Duration.ofMinutes(random.nextInt(180)));
        OffsetDateTime claimUntil = switch (random.nextInt(8)) {
            case 0 -> now.plusHours(1);
            case 1 -> now.minusMinutes(5);
            default -> null;
        };
        sequence(group, key, touched, random.nextInt(6) != 0, claimUntil);
        int retries = random.nextInt(8);
        OffsetDateTime lastRetryAt = ago(Duration.ofMinutes(random.nextInt(180)));
        if (retries > 0 && afterV7) {
            retriedByTheStore(group, key, retries, lastRetryAt);
        } else if (retries > 0) {
            retried(group, key, retries, lastRetryAt);
        }
    }

    /** {@code at} minus 30 s, so that no step boundary of whole minutes falls within 30 s of the database's now. */
    private OffsetDateTime ago(Duration age) {
        return now.minus(age).minusSeconds(30);
    }

    /**
     * A sequence row in the shape every version writes (the columns of V1..V6 only); {@code dbTouch} false leaves
     * touched_at NULL, as on a row last touched before V6 (then last_touched, the node's time, counts).
     */
    private void sequence(String group, String key, OffsetDateTime touched, boolean dbTouch, OffsetDateTime claimUntil) {
        jdbc.update("INSERT INTO " + PREFIX + "sequence (processing_group, sequence_key, segment_key, letter_count, "
                            + "last_index, oldest_enqueued_at, last_touched, touched_at, claim_owner, claim_until) "
                            + "VALUES (?, ?, 0, 1, 0, ?, ?, ?, ?, ?)",
                    group, key, touched, touched, dbTouch ? touched : null, claimUntil == null ? null : "node-b/1",
                    claimUntil);
    }

    /** An automatic-retry row as written before V7 (the sequence row is not told). */
    private void retried(String group, String key, int retries, OffsetDateTime lastRetryAt) {
        jdbc.update("INSERT INTO " + PREFIX + "auto_retry (processing_group, sequence_key, retries, last_retry_at, "
                            + "last_outcome, next_at) VALUES (?, ?, ?, ?, 'FAILED', NULL)",
                    group, key, retries, lastRetryAt);
    }

    /**
     * A retry recorded by the store (V7 in place), then moved into the database's past, where it cannot record it:
     * in auto_retry and in the sequence row's copy alike.
     */
    private void retriedByTheStore(String group, String key, int retries, OffsetDateTime lastRetryAt) {
        assertThat(store.recordAutomaticRetry(group, key, retries, "FAILED", null)).isTrue();
        String where = " WHERE processing_group = ? AND sequence_key = ?";
        jdbc.update("UPDATE " + PREFIX + "auto_retry SET last_retry_at = ?" + where, lastRetryAt, group, key);
        jdbc.update("UPDATE " + PREFIX + "sequence SET auto_retried_at = ?" + where, lastRetryAt, group, key);
    }

    /** Every script up to V6 (the store's V1, V3..V6 and the operations tables' V2). */
    static List<String> beforeV7() {
        List<String> scripts = new java.util.ArrayList<>(SchemaInitializer.STORE_SCRIPTS);
        scripts.remove(SchemaInitializer.RETRY_DUE_SCRIPT);
        scripts.add(SchemaInitializer.OPERATIONS_SCRIPT);
        return scripts;
    }

    private void applyV7() {
        SchemaInitializer.initialize(dataSource, dialect, PREFIX, V7);
    }

    // --- queries ------------------------------------------------------------------------------------------------

    /** The store's answer as "key:retries". */
    private List<String> due(List<Duration> schedule, int limit) {
        return store.dueForAutomaticRetry(GROUP, schedule, limit).stream()
                    .map(due -> due.sequenceKey() + ":" + due.retries()).toList();
    }

    private List<String> reference(List<Duration> schedule) {
        MapSqlParameterSource params = new MapSqlParameterSource("processing_group", GROUP)
                .addValue("scheduled", schedule.size());
        for (int k = 0; k < schedule.size(); k++) {
            params.addValue("wait" + k, schedule.get(k).toMillis());
        }
        List<String> due = new ArrayList<>();
        named.query(reference(dialect, schedule.size()), params,
                    rs -> { due.add(rs.getString("sequence_key") + ":" + rs.getInt("retries")); });
        return due;
    }
}
