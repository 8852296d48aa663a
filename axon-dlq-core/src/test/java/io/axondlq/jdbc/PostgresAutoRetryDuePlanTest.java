package io.axondlq.jdbc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The automatic-retry due query reads what is due, not the sequences whose schedule is used up: with 100,000 used-up
 * sequences (5 automatic retries of the default 5-step schedule, waiting for an operator, touched long ago so they lead
 * the last-touched order), 1,000 not due yet and 5 due, one poll's query examines a few rows and buffers. Before V7 it
 * read every used-up sequence and probed auto_retry for each (about 100,000 rows and 400,000 buffers here). The rows
 * are written in the shape of before V7 (schema V1..V6 and V2, auto_retry rows), then V7 is applied: its copy of the
 * retry counts is what moves the backlog out of the query's way on an upgraded database. Rows examined (rows a scan
 * returned plus rows its filter removed, times its loops) and buffers come from EXPLAIN (ANALYZE, BUFFERS); no timing
 * is asserted. Plans are printed to the surefire report.
 */
@UsesDatabase(TestDatabase.POSTGRES)
@ExtendWith(PerClassDatabaseExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresAutoRetryDuePlanTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    private static final String GROUP = "plan-group";
    private static final int USED_UP = 100_000;
    private static final int NOT_DUE = 1_000;
    private static final int DUE = 5;
    private static final List<Duration> SCHEDULE = List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
                                                           Duration.ofMinutes(30), Duration.ofHours(2),
                                                           Duration.ofHours(6));
    private static final int LIMIT = 100;

    @TestDataSource
    DataSource dataSource;

    private final DeadLetterStatements sql = SqlDialect.POSTGRESQL.statements(PREFIX);
    private NamedParameterJdbcTemplate named;

    @BeforeAll
    void load() {
        SchemaInitializer.initialize(dataSource, SqlDialect.POSTGRESQL, PREFIX, AutoRetryDueQueryTest.beforeV7());
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        String sequence = "INSERT INTO " + PREFIX + "sequence (processing_group, sequence_key, segment_key, "
                + "letter_count, last_index, oldest_enqueued_at, last_touched, touched_at) "
                + "SELECT ?, ? || s, s, 1, 0, t, t, t FROM generate_series(1, ?) AS s, "
                + "LATERAL (SELECT now() - CAST(? AS interval) + s * interval '1 millisecond') AS x(t)";
        // Used up: parked a month ago, their fifth and last automatic retry 20 days ago.
        jdbc.update(sequence, GROUP, "used-up-", USED_UP, "30 days");
        jdbc.update("INSERT INTO " + PREFIX + "auto_retry (processing_group, sequence_key, retries, last_retry_at, "
                            + "last_outcome, next_at) SELECT ?, 'used-up-' || s, 5, now() - interval '20 days', "
                            + "'FAILED', NULL FROM generate_series(1, ?) AS s", GROUP, USED_UP);
        // Due: parked 10 minutes ago, the first step is a minute. Not due: parked just now.
        jdbc.update(sequence, GROUP, "due-", DUE, "10 minutes");
        jdbc.update(sequence, GROUP, "not-due-", NOT_DUE, "0 seconds");
        SchemaInitializer.initialize(dataSource, SqlDialect.POSTGRESQL, PREFIX, "V7__axon_dlq_retry_due.sql");
        // V7's backfill and its index are one transaction under the schema initializer: the rows it rewrote stay in
        // the index until a vacuum, as autovacuum does soon after a migration; the plan is judged after that.
        jdbc.execute("VACUUM ANALYZE " + PREFIX + "sequence");
        jdbc.execute("ANALYZE " + PREFIX + "auto_retry");
        named = new NamedParameterJdbcTemplate(dataSource);
    }

    @Test
    void theDueQueryExaminesTheDueSequencesNotTheUsedUpBacklog() throws Exception {
        MapSqlParameterSource params = new MapSqlParameterSource("processing_group", GROUP)
                .addValue("limit", LIMIT).addValue("scheduled", SCHEDULE.size());
        for (int k = 0; k < SCHEDULE.size(); k++) {
            params.addValue("wait" + k, SCHEDULE.get(k).toMillis());
        }
        String query = sql.dueForAutomaticRetry(SCHEDULE.size());

        List<String> due = named.query(query, params, (rs, i) -> rs.getString("sequence_key") + ":"
                + rs.getInt("retries"));
        assertThat(due).containsExactly("due-1:0", "due-2:0", "due-3:0", "due-4:0", "due-5:0");

        explain(query, params); // warm: the buffers counted below are hits, as on a busy server
        JsonNode plan = explain(query, params);
        long examined = rowsExamined(plan.get("Plan"));
        long buffers = plan.get("Plan").path("Shared Hit Blocks").asLong()
                + plan.get("Plan").path("Shared Read Blocks").asLong();
        System.out.println("[plan] dueForAutomaticRetry, " + USED_UP + " used up, " + NOT_DUE + " not due, " + DUE
                                   + " due: rows examined " + examined + ", shared buffers " + buffers
                                   + ", execution " + plan.path("Execution Time").asDouble() + " ms\n" + query + "\n"
                                   + plan.toPrettyString() + "\n");
        assertThat(examined).as("rows examined: the due ones and the limit bound it, not the used-up backlog")
                            .isLessThanOrEqualTo(DUE + LIMIT);
        assertThat(buffers).as("shared buffers read by one poll's query").isLessThan(500);
    }

    private JsonNode explain(String query, MapSqlParameterSource params) throws Exception {
        String json = String.join("\n", named.queryForList("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, params,
                                                           String.class));
        return new ObjectMapper().readTree(json).get(0);
    }

    /** Rows each scan produced or filtered out, times its loops (workers included), over the whole plan. */
    private static long rowsExamined(JsonNode node) {
        long rows = 0;
        if (node.has("Relation Name")) {
            long perLoop = node.path("Actual Rows").asLong() + node.path("Rows Removed by Filter").asLong()
                    + node.path("Rows Removed by Index Recheck").asLong();
            rows += perLoop * Math.max(1, node.path("Actual Loops").asLong());
        }
        for (JsonNode child : node.path("Plans")) {
            rows += rowsExamined(child);
        }
        return rows;
    }
}
