package io.axondlq.jdbc;

import java.util.Optional;

/**
 * PostgreSQL: data-modifying CTEs make "touch the sequence row, insert the letter" one statement, and
 * {@code ON CONFLICT DO NOTHING} makes a concurrent or repeated insert a no-op instead of an error that would abort
 * the caller's transaction.
 */
final class PostgresStatements extends DeadLetterStatements {

    PostgresStatements(String tablePrefix) {
        super(tablePrefix);
    }

    /**
     * Bump the counters (the UPDATE locks the row and re-reads its latest committed version) and insert the letter at
     * the new last index: one write of the sequence row, not a lock and then an update (an append and its commit took
     * 230-280 us instead of 360-510 us on the embedded PostgreSQL). An event that is a letter already (delivered
     * again) inserts nothing but was counted, which the store repairs ({@link #recountSequence()}); the index it took
     * stays a gap, which orders nothing differently. No NOT EXISTS guard: with it, PostgreSQL's generic plan of this
     * statement was several times slower.
     */
    @Override
    String appendToSequence() {
        return "WITH s AS (UPDATE " + sequenceTable + " SET letter_count = letter_count + 1, last_index = last_index + 1 "
                + "WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                + "AND letter_count < :max_sequence_size " + SAME_FULL_KEY + " RETURNING last_index) "
                + "INSERT INTO " + letterTable + " (" + LETTER_COLUMNS + ") SELECT " + letterValues("s.last_index")
                + " FROM s ON CONFLICT (processing_group, event_identifier, event_digest) DO NOTHING";
    }

    /** The letter first, the sequence row only when the letter was inserted: a duplicate event starts nothing. */
    @Override
    String startSequence() {
        return "WITH l AS (INSERT INTO " + letterTable + " (" + LETTER_COLUMNS + ") SELECT " + letterValues("0")
                + " WHERE NOT EXISTS (SELECT 1 FROM " + sequenceTable + " WHERE processing_group = :processing_group "
                + "AND sequence_key = :sequence_key) AND (SELECT COUNT(*) FROM " + sequenceTable
                + " WHERE processing_group = :processing_group) < :max_sequences "
                + "ON CONFLICT (processing_group, event_identifier, event_digest) DO NOTHING RETURNING sequence_index) "
                + "INSERT INTO " + sequenceTable + " (processing_group, sequence_key, segment_key, full_key, "
                + "letter_count, last_index, oldest_enqueued_at, last_touched, touched_at) "
                + "SELECT :processing_group, :sequence_key, :segment_key, :full_key, 1, 0, :enqueued_at, :last_touched, "
                + now() + " "
                + "FROM l";
    }

    /**
     * PostgreSQL locks the rows of a {@code SELECT ... ORDER BY ... FOR UPDATE} as they leave the sort, in ORDER BY
     * order; byte order ("C") of the UTF-8 database encoding is code point order, whatever the database's collation.
     */
    @Override
    Optional<String> lockGroupSequences() {
        return Optional.of("SELECT COUNT(*) FROM (SELECT sequence_key FROM " + sequenceTable
                                   + " WHERE processing_group = :processing_group ORDER BY sequence_key COLLATE \"C\" "
                                   + "FOR UPDATE) locked");
    }

    @Override
    String lockGroup() {
        return "INSERT INTO " + groupLockTable + " (processing_group, lock_count) VALUES (:processing_group, 1) "
                + "ON CONFLICT (processing_group) DO UPDATE SET lock_count = " + groupLockTable + ".lock_count + 1";
    }

    /** The table the search path resolves the name to, as in every statement (to_regclass: NULL if none). */
    @Override
    String hasRetryDueColumns() {
        return "SELECT COUNT(*) FROM pg_attribute WHERE attrelid = to_regclass('" + sequenceTable + "') "
                + "AND attname = 'retry_base_at' AND NOT attisdropped";
    }

    @Override
    String now() {
        return "statement_timestamp()";
    }

    @Override
    String plusMillis(String timestamp, String millis) {
        return "(" + timestamp + " + " + millis + " * INTERVAL '1 millisecond')";
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
