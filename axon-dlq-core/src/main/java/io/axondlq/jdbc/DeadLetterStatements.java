package io.axondlq.jdbc;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Every SQL statement of the store, written once in portable SQL with named parameters. Dialects override only the
 * statements that cannot be portable: the single-statement "update the sequence row and insert the letter".
 */
abstract class DeadLetterStatements {

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,40}");

    static final String LETTER_COLUMNS = "letter_id, processing_group, sequence_key, sequence_index, "
            + "event_identifier, message_type, payload_type, payload_revision, payload, meta_data, aggregate_type, "
            + "aggregate_identifier, aggregate_sequence_number, token_type, token, event_timestamp, enqueued_at, "
            + "last_touched, cause_type, cause_message, cause_stack_trace, attempts, diagnostics, correlation_id, "
            + "trace_id, parked, event_digest";

    final String sequenceTable;
    final String letterTable;
    final String attemptTable;
    final String groupLockTable;
    final String autoRetryTable;

    DeadLetterStatements(String tablePrefix) {
        if (tablePrefix == null || !PREFIX.matcher(tablePrefix).matches()) {
            throw new IllegalArgumentException("Table prefix must match " + PREFIX + ", was [" + tablePrefix + "]");
        }
        this.sequenceTable = tablePrefix + "sequence";
        this.letterTable = tablePrefix + "letter";
        this.attemptTable = tablePrefix + "attempt";
        this.groupLockTable = tablePrefix + "group_lock";
        this.autoRetryTable = tablePrefix + "auto_retry";
    }

    /** The letter's values, its index taken from {@code indexExpression} (the updated sequence row). */
    static String letterValues(String indexExpression) {
        return ":letter_id, :processing_group, :sequence_key, " + indexExpression + ", :event_identifier, "
                + ":message_type, :payload_type, :payload_revision, :payload, :meta_data, :aggregate_type, "
                + ":aggregate_identifier, :aggregate_sequence_number, :token_type, :token, :event_timestamp, "
                + ":enqueued_at, :last_touched, :cause_type, :cause_message, :cause_stack_trace, :attempts, "
                + ":diagnostics, :correlation_id, :trace_id, :parked, :event_digest";
    }

    /**
     * One statement: if the sequence exists and has room, bump the sequence's counters and insert the letter at the new
     * last index, unless the event is a letter of the group already. Its update count is the letters inserted (0 or
     * 1). For an event that is a letter already a dialect may have bumped the counters anyway, which
     * {@link #recountSequence()} repairs. It locks the sequence row before it reads the index, so concurrent appends
     * and evictions of the sequence are ordered by that lock.
     */
    abstract String appendToSequence();

    /**
     * One statement: if the sequence is absent, the group has room for another sequence and the event is not a letter
     * of the group yet, create the sequence row and insert the letter at index 0. Affects 0 rows otherwise. Run it
     * after {@link #lockGroup()} in a statement of its own, so that its snapshot sees every sequence started before.
     */
    abstract String startSequence();

    /**
     * Locks the group's lock row (creating it when absent): starting a sequence serializes on it, which makes the
     * max-sequences COUNT exact. Evictions never take it: they only lower the count. The store runs it for every
     * group that shares transactions with the starting one, in name order, so that those locks never deadlock.
     */
    abstract String lockGroup();

    /**
     * Sets the sequence's letter count to the letters it holds: after an append that found its event stored already,
     * which the statement may have counted (see {@link #appendToSequence()}). Rare: Axon delivers an event again only
     * after a lost claim, a merge or a replay.
     */
    String recountSequence() {
        return "UPDATE " + sequenceTable + " SET letter_count = (SELECT COUNT(*) FROM " + letterTable + " l "
                + "WHERE l.processing_group = :processing_group AND l.sequence_key = :sequence_key) "
                + "WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    /** The letter already stored for an event of the group, and the sequence's size (null when absent). */
    String appendProbe() {
        return "SELECT (SELECT letter_id FROM " + letterTable + " WHERE processing_group = :processing_group "
                + "AND event_identifier = :event_identifier AND event_digest = :event_digest) AS existing_letter, "
                + "(SELECT letter_count FROM "
                + sequenceTable + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key) "
                + "AS letter_count";
    }

    /** Locks the sequence row before a letter of it changes: sequence row first, then letter, as evictions do. */
    String lockSequence() {
        return "SELECT letter_count FROM " + sequenceTable
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key FOR UPDATE";
    }

    /**
     * The database's current time, for every lease and due-time comparison: never the JVM's clock, which differs
     * between nodes. On PostgreSQL the statement's start; on H2 the transaction's start (H2 has nothing finer).
     */
    abstract String now();

    /** {@link #now()} plus {@code :lease_ms} milliseconds. */
    String leaseEnd() {
        return plusMillis(now(), ":lease_ms");
    }

    /** The timestamp expression plus a number of milliseconds (null: null). */
    abstract String plusMillis(String timestamp, String millis);

    /** Runs {@code update} (one row at most) and returns {@code column} of the updated row: no row, no result. */
    abstract String returning(String update, String column);

    /**
     * Sequences of one segment: a range of the bit-reversed hash, plus the sequences every segment sees (see
     * {@link Segments}). Two index range scans; a UNION ALL rather than an OR so that H2 uses the index for both.
     */
    String parkedKeysInSegment() {
        return "SELECT sequence_key FROM " + sequenceTable + " WHERE processing_group = :processing_group "
                + "AND segment_key BETWEEN :segment_from AND :segment_to "
                + "UNION ALL SELECT sequence_key FROM " + sequenceTable + " WHERE processing_group = :processing_group "
                + "AND segment_key = " + Segments.EVERY_SEGMENT;
    }

    /**
     * Appended to the append statement's conditions: a hashed key only takes letters of the identifier it was
     * created for (see {@link SequenceKeys}); unhashed keys have no full key.
     */
    static final String SAME_FULL_KEY = "AND (full_key IS NULL OR full_key = :full_key)";

    /** The full key kept with a hashed sequence key, to tell a hash collision from the same identifier. */
    String sequenceFullKey() {
        return "SELECT full_key FROM " + sequenceTable
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    String sequenceRow() {
        return "SELECT letter_count, claim_owner, claim_until FROM " + sequenceTable
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    String sequenceLetterCount() {
        return "SELECT letter_count FROM " + sequenceTable
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    String groupSize() {
        return "SELECT COALESCE(SUM(letter_count), 0) FROM " + sequenceTable
                + " WHERE processing_group = :processing_group";
    }

    String groupSequenceCount() {
        return "SELECT COUNT(*) FROM " + sequenceTable + " WHERE processing_group = :processing_group";
    }

    String insertAttempt() {
        return "INSERT INTO " + attemptTable + " (letter_id, attempt, failed_at, node, cause_type, cause_message) "
                + "VALUES (:letter_id, :attempt, :failed_at, :node, :cause_type, :cause_message)";
    }

    String letterById() {
        return "SELECT * FROM " + letterTable + " WHERE letter_id = :letter_id";
    }

    String sequenceLetters() {
        return "SELECT * FROM " + letterTable + " WHERE processing_group = :processing_group "
                + "AND sequence_key = :sequence_key AND sequence_index > :after_index "
                + "ORDER BY sequence_index LIMIT :limit";
    }

    String headIndexSubquery(String alias) {
        return "(SELECT MIN(h.sequence_index) FROM " + letterTable + " h WHERE h.processing_group = "
                + alias + ".processing_group AND h.sequence_key = " + alias + ".sequence_key)";
    }

    String claimableHeads(boolean afterCursor) {
        return "SELECT l.*, s.last_touched AS sequence_touched FROM " + sequenceTable + " s JOIN " + letterTable
                + " l ON l.processing_group = s.processing_group AND l.sequence_key = s.sequence_key "
                + "AND l.sequence_index = " + headIndexSubquery("s")
                + " WHERE s.processing_group = :processing_group "
                + "AND (s.claim_owner IS NULL OR s.claim_until < " + now() + ") "
                + (afterCursor ? "AND (s.last_touched, s.sequence_key) > (:after_touched, :after_key) " : "")
                + "ORDER BY s.last_touched, s.sequence_key LIMIT :limit";
    }

    String letters(boolean sequenceKey, boolean causeType, boolean payloadType, boolean from, boolean to,
                   boolean afterCursor) {
        return "SELECT * FROM " + letterTable + " WHERE processing_group = :processing_group"
                + (sequenceKey ? " AND sequence_key = :sequence_key" : "")
                + (causeType ? " AND cause_type = :cause_type" : "")
                + (payloadType ? " AND payload_type = :payload_type" : "")
                + (from ? " AND enqueued_at >= :from" : "")
                + (to ? " AND enqueued_at < :to" : "")
                + (afterCursor ? " AND (enqueued_at, letter_id) > (:after_enqueued_at, :after_id)" : "")
                + " ORDER BY enqueued_at, letter_id LIMIT :limit";
    }

    String sequences(boolean single, boolean afterCursor) {
        return "SELECT s.processing_group, s.sequence_key, s.letter_count, s.oldest_enqueued_at, s.last_touched, "
                + "s.claim_owner, s.claim_until, CASE WHEN s.claim_until > " + now() + " THEN 1 ELSE 0 END "
                + "AS claim_active, l.letter_id, l.event_identifier, l.payload_type, l.cause_type "
                + "FROM " + sequenceTable + " s LEFT JOIN " + letterTable + " l "
                + "ON l.processing_group = s.processing_group AND l.sequence_key = s.sequence_key "
                + "AND l.sequence_index = " + headIndexSubquery("s")
                + " WHERE s.processing_group = :processing_group"
                + (single ? " AND s.sequence_key = :sequence_key" : "")
                + (afterCursor ? " AND s.sequence_key > :after_key" : "")
                + " ORDER BY s.sequence_key LIMIT :limit";
    }

    String statistics() {
        return "SELECT processing_group, COUNT(*) AS sequences, SUM(letter_count) AS letters, "
                + "MIN(oldest_enqueued_at) AS oldest, MAX(letter_count) AS largest FROM " + sequenceTable
                + " GROUP BY processing_group ORDER BY processing_group";
    }

    String failureGroups() {
        return "SELECT cause_type, COUNT(*) AS letters, MIN(enqueued_at) AS first_seen, "
                + "MAX(last_touched) AS last_seen FROM " + letterTable
                + " WHERE processing_group = :processing_group GROUP BY cause_type ORDER BY letters DESC, cause_type";
    }

    /** Held letters per group and whole hour since :since (:since_epoch in seconds); portable to H2 and PostgreSQL. */
    String enqueuedPerHour() {
        return "SELECT processing_group, hour_index, COUNT(*) AS letters FROM (SELECT processing_group, "
                + "FLOOR((EXTRACT(EPOCH FROM enqueued_at) - :since_epoch) / 3600) AS hour_index FROM " + letterTable
                + " WHERE enqueued_at >= :since) h GROUP BY processing_group, hour_index "
                + "ORDER BY processing_group, hour_index";
    }

    String attemptsOfLetter() {
        return "SELECT * FROM " + attemptTable + " WHERE letter_id = :letter_id ORDER BY attempt";
    }

    /** Attempts of several letters ({@code :letter_ids}, a list), per letter in attempt order. */
    String attemptsOfLetters() {
        return "SELECT * FROM " + attemptTable + " WHERE letter_id IN (:letter_ids) ORDER BY letter_id, attempt";
    }

    String deleteLetter() {
        return "DELETE FROM " + letterTable + " WHERE letter_id = :letter_id";
    }

    /** After removing letters: lower the count and move the oldest-enqueued mark to the new head. */
    String shrinkSequence() {
        return "UPDATE " + sequenceTable + " SET letter_count = letter_count - :removed, oldest_enqueued_at = "
                + "COALESCE((SELECT h.enqueued_at FROM " + letterTable + " h WHERE h.processing_group = "
                + ":processing_group AND h.sequence_key = :sequence_key ORDER BY h.sequence_index LIMIT 1), "
                + "oldest_enqueued_at) WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    String deleteEmptySequence() {
        return "DELETE FROM " + sequenceTable + " WHERE processing_group = :processing_group "
                + "AND sequence_key = :sequence_key AND letter_count <= 0";
    }

    /** Keeps the stored diagnostics when {@code :keep_diagnostics}: the letter was read without them. */
    String requeueLetter() {
        return "UPDATE " + letterTable + " SET cause_type = :cause_type, cause_message = :cause_message, "
                + "cause_stack_trace = :cause_stack_trace, "
                + "diagnostics = CASE WHEN :keep_diagnostics THEN diagnostics ELSE :diagnostics END, "
                + "last_touched = :last_touched, "
                + "attempts = attempts + 1 WHERE letter_id = :letter_id";
    }

    String touchSequence() {
        return "UPDATE " + sequenceTable + " SET last_touched = :last_touched, touched_at = " + now() + " "
                + "WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    /**
     * After {@link #deleteSequence()}: the sequence's letters, now without their sequence row. A sequence started
     * again meanwhile (committed) keeps its letters.
     */
    String deleteSequenceLetters() {
        return "DELETE FROM " + letterTable + " l WHERE l.processing_group = :processing_group "
                + "AND l.sequence_key = :sequence_key AND " + noSequenceRow("l");
    }

    String deleteSequence() {
        return "DELETE FROM " + sequenceTable
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    /**
     * After {@link #deleteGroupSequences()}: the group's letters without a sequence row. Sequences started meanwhile
     * (committed after the sequences were deleted) keep theirs.
     */
    String deleteGroupLetters() {
        return "DELETE FROM " + letterTable + " l WHERE l.processing_group = :processing_group AND "
                + noSequenceRow("l");
    }

    private String noSequenceRow(String alias) {
        return "NOT EXISTS (SELECT 1 FROM " + sequenceTable + " s WHERE s.processing_group = " + alias
                + ".processing_group AND s.sequence_key = " + alias + ".sequence_key)";
    }

    /**
     * One statement that locks the group's sequence rows in {@link SequenceKeys#LOCK_ORDER}, the order a batch appends
     * in (see {@code appendIfParked}), so that an erase and a batch cannot deadlock, and returns how many it locked.
     * Empty where no statement can: the store reads the keys ({@link #groupSequenceKeys()}), sorts them and locks the
     * rows one by one ({@link #lockSequence()}). A {@code SELECT ... ORDER BY ... FOR UPDATE} does not lock in its
     * ORDER BY's order on H2: H2 locks the rows as its scan meets them, in index order (UTF-16 order of the key).
     */
    Optional<String> lockGroupSequences() {
        return Optional.empty();
    }

    /** The keys of the group's sequences, unordered and unlocked. */
    String groupSequenceKeys() {
        return "SELECT sequence_key FROM " + sequenceTable + " WHERE processing_group = :processing_group";
    }

    String deleteGroupSequences() {
        return "DELETE FROM " + sequenceTable + " WHERE processing_group = :processing_group";
    }

    /** Takes the lease when it is free or expired by the database's clock; returns the new lease end. */
    String claim() {
        return returning("UPDATE " + sequenceTable + " SET claim_owner = :owner, claim_until = " + leaseEnd()
                                 + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                                 + "AND (claim_owner IS NULL OR claim_until < " + now() + ")", "claim_until");
    }

    /**
     * Extends a held lease. Holding means the row still names this claim's owner (unique per claim): then nobody has
     * taken the sequence since, whatever the time, and the row lock keeps it so until the transaction ends.
     */
    String renew() {
        return "UPDATE " + sequenceTable + " SET claim_until = " + leaseEnd()
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                + "AND claim_owner = :owner";
    }

    /**
     * The fence of a redelivered letter, in the letter's own transaction: renews the lease and accounts for the
     * letter about to be deleted, only while the lease is held. Returns the letters left; no row means the lease is
     * lost (or the sequence gone), and the caller rolls back.
     */
    String shrinkUnderLease() {
        return returning("UPDATE " + sequenceTable + " SET letter_count = letter_count - 1, claim_until = "
                                 + leaseEnd() + ", oldest_enqueued_at = COALESCE((SELECT h.enqueued_at FROM "
                                 + letterTable + " h WHERE h.processing_group = :processing_group "
                                 + "AND h.sequence_key = :sequence_key AND h.letter_id <> :letter_id "
                                 + "ORDER BY h.sequence_index LIMIT 1), oldest_enqueued_at) "
                                 + "WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                                 + "AND claim_owner = :owner", "letter_count");
    }

    /**
     * {@link #shrinkUnderLease()} and the delete of the letter in one round trip, where the dialect can: returns
     * {@code letter_count} and {@code removed} (0 when the letter is already gone) while the lease is held, no row
     * otherwise. Empty: the store sends the two statements.
     */
    Optional<String> removeUnderLease() {
        return Optional.empty();
    }

    /** The fence of a failed redelivery, in the requeue's transaction: renews the lease and touches the sequence. */
    String touchUnderLease() {
        return "UPDATE " + sequenceTable + " SET last_touched = :last_touched, touched_at = " + now()
                + ", claim_until = " + leaseEnd()
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                + "AND claim_owner = :owner";
    }

    /**
     * A history row numbered by the letter's attempt count as just raised: the letter row's lock orders concurrent
     * requeues, so no two ever pick the same number.
     */
    String insertAttemptOfLetter() {
        return "INSERT INTO " + attemptTable + " (letter_id, attempt, failed_at, node, cause_type, cause_message) "
                + "VALUES (:letter_id, (SELECT attempts FROM " + letterTable + " WHERE letter_id = :letter_id), "
                + ":failed_at, :node, :cause_type, :cause_message)";
    }

    String release() {
        return "UPDATE " + sequenceTable + " SET claim_owner = NULL, claim_until = NULL "
                + "WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                + "AND claim_owner = :owner";
    }

    // --- background work (retry jobs, automatic retry) ----------------------------------------------------------

    /** Keys of the group's sequences with a letter matching the criteria, oldest sequence first. */
    String matchingSequenceKeys(boolean causeType, boolean payloadType, boolean from, boolean to) {
        String letterFilter = (causeType ? " AND l.cause_type = :cause_type" : "")
                + (payloadType ? " AND l.payload_type = :payload_type" : "")
                + (from ? " AND l.enqueued_at >= :from" : "")
                + (to ? " AND l.enqueued_at < :to" : "");
        String matching = letterFilter.isEmpty() ? "" : " AND EXISTS (SELECT 1 FROM " + letterTable + " l "
                + "WHERE l.processing_group = s.processing_group AND l.sequence_key = s.sequence_key" + letterFilter
                + ")";
        return "SELECT s.sequence_key FROM " + sequenceTable + " s WHERE s.processing_group = :processing_group"
                + matching + " ORDER BY s.oldest_enqueued_at, s.sequence_key LIMIT :limit";
    }

    String processingGroups() {
        return "SELECT DISTINCT processing_group FROM " + sequenceTable + " ORDER BY processing_group";
    }

    /**
     * Due sequences for automatic retry: unclaimed, fewer retries than {@code scheduled}, and last touched or retried
     * at least {@code schedule[retries]} ago by the database's clock, the caller passing the waits in milliseconds as
     * {@code :wait<k>}; least recently touched first.
     * <p>
     * Reads what is due only (V7): one index range per step k of the schedule, over the sequences with k automatic
     * retries ({@code auto_retries}) whose schedule base ({@code retry_base_at}, the later of the last touch and the
     * last automatic retry, computed by the database) is {@code schedule[k]} or more in the past. Sequences whose
     * schedule is used up (k &ge; {@code scheduled}), and those not due yet, are not read; the sort is over the due
     * ones. The waits stay configuration: a changed schedule applies to every sequence at the next poll.
     */
    String dueForAutomaticRetry(int scheduled) {
        StringBuilder due = new StringBuilder();
        for (int k = 0; k < scheduled; k++) {
            due.append(k == 0 ? "" : " UNION ALL ")
               .append("SELECT s.sequence_key, s.last_touched, s.auto_retries AS retries FROM ").append(sequenceTable)
               .append(" s WHERE s.processing_group = :processing_group AND s.auto_retries = ").append(k)
               .append(" AND s.retry_base_at <= ").append(plusMillis(now(), "(0 - :wait" + k + ")"))
               .append(" AND (s.claim_owner IS NULL OR s.claim_until < ").append(now()).append(')');
        }
        return "SELECT d.sequence_key, d.retries FROM (" + due + ") d ORDER BY d.last_touched, d.sequence_key "
                + "LIMIT :limit";
    }

    /**
     * {@link #dueForAutomaticRetry(int)} on a schema without V7 (its columns absent): every sequence of the group in
     * last-touched order, each probed in {@code auto_retry}. Its cost grows with the sequences whose schedule is used
     * up; the store logs that V7 should be applied.
     */
    String dueForAutomaticRetryWithoutV7(int scheduled) {
        String retries = "COALESCE(a.retries, 0)";
        // touched_at is the database's time of the last touch; NULL on rows written before V6.
        String touched = "COALESCE(s.touched_at, s.last_touched)";
        String base = "GREATEST(" + touched + ", COALESCE(a.last_retry_at, " + touched + "))";
        StringBuilder due = new StringBuilder();
        for (int k = 0; k < scheduled; k++) {
            due.append(k == 0 ? "" : " OR ").append('(').append(retries).append(" = ").append(k).append(" AND ")
               .append(plusMillis(base, ":wait" + k)).append(" <= ").append(now()).append(')');
        }
        return "SELECT s.sequence_key, " + retries + " AS retries FROM " + sequenceTable + " s LEFT JOIN "
                + autoRetryTable + " a ON a.processing_group = s.processing_group "
                + "AND a.sequence_key = s.sequence_key WHERE s.processing_group = :processing_group "
                + "AND " + retries + " < :scheduled "
                + "AND (s.claim_owner IS NULL OR s.claim_until < " + now() + ") AND (" + due + ") "
                + "ORDER BY s.last_touched, s.sequence_key LIMIT :limit";
    }

    /**
     * Whether the sequence table the statements use has V7's columns: the one of the current schema (the name compared
     * in lower case). Not any schema's: another copy of the tables at another version (another application's, an
     * earlier install's) must not decide which query runs here.
     */
    String hasRetryDueColumns() {
        return "SELECT COUNT(*) FROM information_schema.columns WHERE LOWER(table_name) = '"
                + sequenceTable.toLowerCase(Locale.ROOT) + "' AND LOWER(column_name) = 'retry_base_at' "
                + "AND table_schema = CURRENT_SCHEMA";
    }

    /**
     * After the automatic-retry row was written: copies its count and time onto the sequence row (V7), which moves the
     * sequence to its next step of the due index; the time is the row's, so both agree to the microsecond.
     */
    String copyAutomaticRetryToSequence() {
        String ofRow = " FROM " + autoRetryTable + " a WHERE a.processing_group = :processing_group "
                + "AND a.sequence_key = :sequence_key)";
        return "UPDATE " + sequenceTable + " SET auto_retries = (SELECT a.retries" + ofRow
                + ", auto_retried_at = (SELECT a.last_retry_at" + ofRow
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key "
                + "AND EXISTS (SELECT 1" + ofRow;
    }

    /** The retry ran now by the database's clock, the next is due {@code :next_ms} later (null: none). */
    String updateAutomaticRetry() {
        return "UPDATE " + autoRetryTable + " SET retries = :retries, last_retry_at = " + now()
                + ", last_outcome = :outcome, next_at = " + plusMillis(now(), ":next_ms")
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    /** Inserts nothing when the sequence is gone, rather than failing on the foreign key (and the transaction). */
    String insertAutomaticRetry() {
        return "INSERT INTO " + autoRetryTable + " (processing_group, sequence_key, retries, last_retry_at, "
                + "last_outcome, next_at) SELECT processing_group, sequence_key, :retries, " + now() + ", :outcome, "
                + plusMillis(now(), ":next_ms") + " FROM " + sequenceTable
                + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }

    String automaticRetryState() {
        return "SELECT processing_group, sequence_key, retries, last_retry_at, last_outcome, next_at FROM "
                + autoRetryTable + " WHERE processing_group = :processing_group AND sequence_key = :sequence_key";
    }
}
