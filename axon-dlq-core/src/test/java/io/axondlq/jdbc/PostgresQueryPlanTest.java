package io.axondlq.jdbc;

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

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store's hot and operator queries use an index at 100,000 letters (10,000 sequences of 10) in one group, the
 * worst case for the group-leading indexes. Plans are printed to the surefire report.
 */
@UsesDatabase(TestDatabase.POSTGRES)
@ExtendWith(PerClassDatabaseExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresQueryPlanTest {

    private static final String GROUP = "plan-group";
    private static final int SEQUENCES = 10_000;
    private static final int LETTERS_PER_SEQUENCE = 10;
    private static final OffsetDateTime T0 = OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    @TestDataSource
    DataSource dataSource;

    private final DeadLetterStatements sql = SqlDialect.POSTGRESQL.statements(SchemaInitializer.DEFAULT_TABLE_PREFIX);
    private NamedParameterJdbcTemplate named;

    @BeforeAll
    void load() {
        SchemaInitializer.initialize(dataSource, SqlDialect.POSTGRESQL, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        // Generated in SQL: the store's write path is covered elsewhere, this is about read plans at volume.
        // Bit-reversed hash codes are spread uniformly over 32 bits, like the random segment keys here.
        jdbc.update("INSERT INTO axon_dlq_sequence (processing_group, sequence_key, segment_key, letter_count, "
                            + "last_index, oldest_enqueued_at, last_touched) "
                            + "SELECT ?, 'seq-' || s, floor(random() * 4294967296)::bigint, ?, ? - 1, "
                            + "? + s * interval '1 second', ? + s * interval '1 second' "
                            + "FROM generate_series(1, ?) AS s",
                    GROUP, LETTERS_PER_SEQUENCE, LETTERS_PER_SEQUENCE, T0, T0, SEQUENCES);
        jdbc.update("INSERT INTO axon_dlq_letter (letter_id, processing_group, sequence_key, sequence_index, "
                            + "event_identifier, message_type, payload_type, payload, event_timestamp, enqueued_at, "
                            + "last_touched, cause_type, cause_message, attempts, parked) "
                            + "SELECT gen_random_uuid(), ?, 'seq-' || s, i, gen_random_uuid()::text, "
                            + "'org.axonframework.eventhandling.GenericEventMessage', "
                            + "CASE WHEN s % 3 = 0 THEN 'com.example.OrderCancelled' "
                            + "ELSE 'com.example.OrderPlaced' END, "
                            + "convert_to('{\"orderId\":\"' || s || '\"}', 'UTF8'), t, t, t, "
                            + "CASE WHEN i = 0 THEN 'java.lang.IllegalStateException' END, "
                            + "CASE WHEN i = 0 THEN 'boom' END, CASE WHEN i = 0 THEN 1 ELSE 0 END, i > 0 "
                            + "FROM generate_series(1, ?) AS s, generate_series(0, ? - 1) AS i, "
                            + "LATERAL (SELECT ? + s * interval '1 second' + i * interval '1 millisecond') AS x(t)",
                    GROUP, SEQUENCES, LETTERS_PER_SEQUENCE, T0);
        // A few sequences whose hash differs between JVMs: every segment's parked set includes them.
        jdbc.update("INSERT INTO axon_dlq_sequence (processing_group, sequence_key, segment_key, letter_count, "
                            + "last_index, oldest_enqueued_at, last_touched) "
                            + "SELECT ?, 'unstable-' || s, ?, 1, 0, ?, ? FROM generate_series(1, 5) AS s",
                    GROUP, Segments.EVERY_SEGMENT, T0, T0);
        jdbc.execute("ANALYZE axon_dlq_sequence");
        jdbc.execute("ANALYZE axon_dlq_letter");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Long.class))
                .isEqualTo((long) SEQUENCES * LETTERS_PER_SEQUENCE);
        named = new NamedParameterJdbcTemplate(dataSource);
    }

    @Test
    void leaseStatementsUseTheSequenceKey() {
        MapSqlParameterSource params = sequence("seq-7777")
                .addValue("owner", "node/1").addValue("lease_ms", 30_000L).addValue("letter_id", UUID.randomUUID());
        assertUsesIndex("claim", sql.claim(), params);
        assertUsesIndex("renew", sql.renew(), params);
        assertUsesIndex("shrinkUnderLease", sql.shrinkUnderLease(), params);
    }

    @Test
    void letterListingUsesTheListingIndex() {
        MapSqlParameterSource params = group().addValue("limit", 51);
        assertUsesIndex("letters (first page)", sql.letters(false, false, false, false, false, false), params);

        params.addValue("after_enqueued_at", T0.plusSeconds(SEQUENCES / 2)).addValue("after_id", UUID.randomUUID());
        assertUsesIndex("letters (after cursor)", sql.letters(false, false, false, false, false, true), params);
    }

    @Test
    void filteredLetterListingUsesAnIndex() {
        MapSqlParameterSource params = group().addValue("limit", 51)
                                              .addValue("sequence_key", "seq-7777")
                                              .addValue("cause_type", "java.lang.IllegalStateException")
                                              .addValue("from", T0.plusSeconds(100))
                                              .addValue("to", T0.plusSeconds(200));
        assertUsesIndex("letters (sequence filter)", sql.letters(true, false, false, false, false, false), params);
        assertUsesIndex("letters (cause filter)", sql.letters(false, true, false, false, false, false), params);
        assertUsesIndex("letters (time window)", sql.letters(false, false, false, true, true, false), params);
    }

    @Test
    void perSequenceLookupUsesTheSequencePosition() {
        MapSqlParameterSource params = sequence("seq-7777").addValue("after_index", 3).addValue("limit", 100);
        assertUsesIndex("sequenceLetters", sql.sequenceLetters(), params);
    }

    @Test
    void claimableHeadsUseIndexes() {
        MapSqlParameterSource params = group().addValue("limit", 101);
        assertUsesIndex("claimableHeads (first page)", sql.claimableHeads(false), params);

        params.addValue("after_touched", T0.plusSeconds(SEQUENCES / 2)).addValue("after_key", "seq-5000");
        assertUsesIndex("claimableHeads (after cursor)", sql.claimableHeads(true), params);
    }

    @Test
    void sequenceListingUsesIndexes() {
        MapSqlParameterSource params = group().addValue("limit", 101).addValue("after_key", "seq-5000");
        assertUsesIndex("sequences (after cursor)", sql.sequences(false, true), params);
    }

    @Test
    void parkedKeysOfASegmentUseAnIndex() {
        Segments.Range range = Segments.range(3, 7); // one of 8 segments
        MapSqlParameterSource params = group().addValue("segment_from", range.from())
                                              .addValue("segment_to", range.to());
        assertUsesIndex("parkedKeysInSegment", sql.parkedKeysInSegment(), params);
        assertThat(plan(sql.parkedKeysInSegment(), params)).doesNotContain("Seq Scan");

        List<String> keys = named.queryForList(sql.parkedKeysInSegment(), params, String.class);
        assertThat(keys).contains("unstable-1", "unstable-5")
                        .hasSizeBetween(5 + SEQUENCES / 8 / 2, 5 + SEQUENCES / 8 * 2);
    }

    @Test
    void perHourStatisticsReadOnlyTheRecentLetters() {
        // The dashboard's chart: the last day of a backlog that is mostly older (here the last 1% of the letters).
        OffsetDateTime since = T0.plusSeconds(SEQUENCES - SEQUENCES / 100);
        MapSqlParameterSource params = new MapSqlParameterSource("since", since)
                .addValue("since_epoch", since.toEpochSecond());
        assertUsesIndex("enqueuedPerHour", sql.enqueuedPerHour(), params);
    }

    private String plan(String query, MapSqlParameterSource params) {
        return String.join("\n", named.queryForList("EXPLAIN (FORMAT TEXT) " + query, params, String.class));
    }

    private void assertUsesIndex(String name, String query, MapSqlParameterSource params) {
        String plan = plan(query, params);
        System.out.println("[plan] " + name + "\n" + query + "\n" + plan + "\n");
        assertThat(plan).as(name).contains("Index").doesNotContain("Seq Scan on axon_dlq_letter");
    }

    private static MapSqlParameterSource group() {
        return new MapSqlParameterSource("processing_group", GROUP);
    }

    private static MapSqlParameterSource sequence(String key) {
        return group().addValue("sequence_key", key);
    }

}
