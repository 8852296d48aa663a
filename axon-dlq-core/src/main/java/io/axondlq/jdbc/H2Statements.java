package io.axondlq.jdbc;

/**
 * H2: a data change delta table ({@code FINAL TABLE (...)}) makes "touch the sequence row, insert" one statement.
 * H2 undoes a failed statement without spoiling the transaction, so the rare concurrent duplicate that slips past
 * the {@code NOT EXISTS} guards is a duplicate-key error the store can handle.
 */
final class H2Statements extends DeadLetterStatements {

    H2Statements(String tablePrefix) {
        super(tablePrefix);
    }

    @Override
    String appendToSequence() {
        return "INSERT INTO " + letterTable + " (" + LETTER_COLUMNS + ") SELECT " + letterValues("s.last_index")
                + " FROM FINAL TABLE (UPDATE " + sequenceTable + " SET letter_count = letter_count + 1, "
                + "last_index = last_index + 1 WHERE processing_group = :processing_group "
                + "AND sequence_key = :sequence_key AND letter_count < :max_sequence_size " + SAME_FULL_KEY + " AND " + noLetterOfEvent()
                + ") s";
    }

    @Override
    String startSequence() {
        return "INSERT INTO " + letterTable + " (" + LETTER_COLUMNS + ") SELECT " + letterValues("s.last_index")
                + " FROM FINAL TABLE (INSERT INTO " + sequenceTable + " (processing_group, sequence_key, "
                + "segment_key, full_key, letter_count, last_index, oldest_enqueued_at, last_touched, touched_at) "
                + "SELECT :processing_group, :sequence_key, :segment_key, :full_key, 1, 0, :enqueued_at, "
                + ":last_touched, " + now() + " "
                + "WHERE NOT EXISTS (SELECT 1 FROM " + sequenceTable + " WHERE processing_group = :processing_group "
                + "AND sequence_key = :sequence_key) AND " + noLetterOfEvent() + " AND (SELECT COUNT(*) FROM "
                + sequenceTable + " WHERE processing_group = :processing_group) < :max_sequences) s";
    }

    @Override
    String lockGroup() {
        return "MERGE INTO " + groupLockTable + " g USING (SELECT CAST(:processing_group AS VARCHAR(255)) "
                + "AS processing_group) v ON g.processing_group = v.processing_group "
                + "WHEN MATCHED THEN UPDATE SET lock_count = g.lock_count + 1 "
                + "WHEN NOT MATCHED THEN INSERT (processing_group, lock_count) VALUES (v.processing_group, 1)";
    }

    private String noLetterOfEvent() {
        return "NOT EXISTS (SELECT 1 FROM " + letterTable + " e WHERE e.processing_group = :processing_group "
                + "AND e.event_identifier = :event_identifier AND e.event_digest = :event_digest)";
    }

    @Override
    String now() {
        return "CURRENT_TIMESTAMP";
    }

    @Override
    String plusMillis(String timestamp, String millis) {
        return "DATEADD(MILLISECOND, " + millis + ", " + timestamp + ")";
    }

    @Override
    String returning(String update, String column) {
        return "SELECT " + column + " FROM FINAL TABLE (" + update + ")";
    }
}
