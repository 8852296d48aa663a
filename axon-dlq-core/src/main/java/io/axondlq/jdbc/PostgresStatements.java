package io.axondlq.jdbc;

import java.util.Optional;

/** PostgreSQL: data-modifying CTEs make "touch the sequence row, insert the letter" one statement. */
final class PostgresStatements extends DeadLetterStatements {

    PostgresStatements(String tablePrefix) {
        super(tablePrefix);
    }

    @Override
    String appendToSequence() {
        return "WITH s AS (UPDATE " + sequenceTable + " SET letter_count = letter_count + 1, "
                + "last_index = last_index + 1 WHERE processing_group = :processing_group "
                + "AND sequence_key = :sequence_key AND letter_count < :max_sequence_size RETURNING last_index) "
                + "INSERT INTO " + letterTable + " (" + LETTER_COLUMNS + ") SELECT "
                + letterValues("s.last_index") + " FROM s";
    }

    @Override
    String startSequence() {
        return "WITH s AS (INSERT INTO " + sequenceTable + " (processing_group, sequence_key, segment_key, "
                + "letter_count, last_index, oldest_enqueued_at, last_touched) "
                + "SELECT :processing_group, :sequence_key, :segment_key, 1, 0, :enqueued_at, :last_touched "
                + "WHERE (SELECT COUNT(*) FROM " + sequenceTable + " WHERE processing_group = :processing_group) "
                + "< :max_sequences ON CONFLICT DO NOTHING RETURNING last_index) "
                + "INSERT INTO " + letterTable + " (" + LETTER_COLUMNS + ") SELECT "
                + letterValues("s.last_index") + " FROM s";
    }

    @Override
    String now() {
        return "statement_timestamp()";
    }

    @Override
    String leaseEnd() {
        return "(" + now() + " + :lease_ms * INTERVAL '1 millisecond')";
    }

    @Override
    String returning(String update, String column) {
        return update + " RETURNING " + column;
    }

    /** The fence runs first (the delete reads its result), so the sequence row is locked before the letter row. */
    @Override
    Optional<String> removeUnderLease() {
        return Optional.of("WITH fence AS (" + shrinkUnderLease() + "), removed AS (DELETE FROM " + letterTable
                                   + " WHERE letter_id = :letter_id AND EXISTS (SELECT 1 FROM fence) RETURNING 1) "
                                   + "SELECT letter_count, (SELECT COUNT(*) FROM removed) AS removed FROM fence");
    }
}
