package io.axondlq.core.store;

import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;
import org.axonframework.messaging.deadletter.NoSuchDeadLetterException;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The SPI a dead-letter store implements: the hot-path operations the invoker needs, redelivery leases, and the
 * operator queries the REST API serves. Letters are keyed by (processing group, sequence key, sequence index).
 * <p>
 * Every method joins the caller's transaction when there is one, except that a claim always commits at once, outside
 * it, and a release takes effect once the caller's transaction has ended. Callers' transactions run at READ
 * COMMITTED (both databases' default), which the concurrency guarantees below rely on.
 * <p>
 * A processing group holds at most one letter per event identifier: Axon delivers events at least once (merges,
 * replays after a lost claim), and an event delivered again is never stored twice. Stores enforce it without raising
 * an error in the caller's transaction. Every text field of a letter is cleaned and cut to fit its column
 * ({@link StoredText}), so a letter is always storable; an event identifier or aggregate identifier that had to be
 * changed keeps a hash of the original and reads back in that stored form.
 */
public interface DeadLetterStore {

    /** The collision-free key this store files the given sequence identifier under. */
    String sequenceKey(Object sequenceIdentifier);

    // --- hot path -----------------------------------------------------------------------------------------------

    /**
     * Keys of the parked sequences of {@code processingGroup} that fall in the segment, in one query. Segment
     * membership follows Axon: {@code (hashCode(sequenceIdentifier) & mask) == segmentId}. A sequence whose
     * identifier's hash is not the same in every JVM (identity-based {@code hashCode()}) is in every segment's set:
     * after a restart its events may arrive in any segment.
     */
    Set<String> parkedSequenceKeys(String processingGroup, int segmentId, int segmentMask);

    /**
     * Appends each draft behind its sequence if that sequence is still parked: one statement per draft, sent as one
     * JDBC batch. An append racing an eviction of its sequence either lands before it (and is evicted with it) or
     * finds the sequence gone ({@code false}); it never leaves a letter without its sequence.
     *
     * @return per draft, whether it is in the queue: appended, or already a letter of the group (an event delivered
     * again, or twice in one batch, which is not stored a second time); {@code false} means the sequence is not (or
     * no longer) parked
     * @throws DeadLetterQueueOverflowException when a sequence is full; nothing of the batch is kept then
     */
    boolean[] appendIfParked(String processingGroup, List<LetterDraft> drafts);

    /**
     * {@link #appendIfParked}, telling an append from an event that is a letter already, which is not stored again
     * (and must not be counted again). The default cannot tell them apart and reports every event in the queue as
     * appended; a store that can should override it (the JDBC store does), or the metrics count events Axon delivers
     * again a second time.
     *
     * @return per draft, in the drafts' order, what happened to it
     * @throws DeadLetterQueueOverflowException when a sequence is full; nothing of the batch is kept then
     */
    default AppendOutcome[] appendToParked(String processingGroup, List<LetterDraft> drafts) {
        boolean[] inQueue = appendIfParked(processingGroup, drafts);
        AppendOutcome[] outcomes = new AppendOutcome[inQueue.length];
        for (int i = 0; i < inQueue.length; i++) {
            outcomes[i] = inQueue[i] ? AppendOutcome.APPENDED : AppendOutcome.NOT_PARKED;
        }
        return outcomes;
    }

    /**
     * Stores a letter: starts its sequence when absent, appends otherwise. Attempt history rows are written with it.
     * When the event already is a letter of the group, nothing is stored (no history rows either) and that letter's
     * id is returned. The group's max-sequences limit is exact under concurrent writers.
     *
     * @return the id of the letter holding the event
     * @throws DeadLetterQueueOverflowException when the sequence or the group is full; nothing was written then, and
     *                                          the caller's transaction stays usable
     */
    UUID enqueue(String processingGroup, LetterDraft draft);

    /**
     * {@link #enqueue}, telling a letter stored now from an event that is a letter of the group already (Axon delivered
     * it again), which is not stored again (and must not be counted again). The default cannot tell them apart and
     * reports every letter as new; a store that can should override it (the JDBC store does), or the metrics count an
     * event Axon delivers again a second time.
     *
     * @throws DeadLetterQueueOverflowException as {@link #enqueue} does
     */
    default EnqueueOutcome enqueueOnce(String processingGroup, LetterDraft draft) {
        return EnqueueOutcome.newLetter(enqueue(processingGroup, draft));
    }

    /**
     * Declares that these processing groups write to the store in one transaction: the groups of one event processor,
     * whose batch enqueues for all of them. A store that locks per group when it starts a sequence must then take the
     * locks of all of them, in one order every node agrees on, so that two batches of the processor never wait for
     * each other's group in a cycle (a deadlock the database breaks by failing one batch). Called while the processors
     * are configured, before they start. The default does nothing (a store without such locks).
     */
    default void groupsShareTransactions(Collection<String> processingGroups) {
    }

    // --- reads --------------------------------------------------------------------------------------------------

    boolean contains(String processingGroup, String sequenceKey);

    long size(String processingGroup);

    long sequenceSize(String processingGroup, String sequenceKey);

    long sequenceCount(String processingGroup);

    /** Whether the sequence is full or, when it is absent, whether the group has no room for another sequence. */
    boolean isFull(String processingGroup, String sequenceKey);

    Optional<StoredLetter> letter(UUID letterId);

    /** Letters of one sequence with an index above {@code afterIndex}, in sequence order. */
    List<StoredLetter> sequenceLetters(String processingGroup, String sequenceKey, long afterIndex, int limit);

    /** First letter of each sequence not leased by anyone, least recently touched sequence first. */
    Page<StoredLetter> claimableHeads(String processingGroup, int limit, String cursor);

    Page<StoredLetter> letters(String processingGroup, LetterFilter filter, int limit, String cursor);

    Page<SequenceSummary> sequences(String processingGroup, int limit, String cursor);

    Optional<SequenceSummary> sequence(String processingGroup, String sequenceKey);

    /** The bounds this store enforces for the group. */
    default DeadLetterLimits limits(String processingGroup) {
        return DeadLetterLimits.DEFAULT;
    }

    /** Totals of every processing group that has letters, in one query. */
    List<GroupStatistics> statistics();

    /**
     * {@link #statistics()} for a caller that must answer in time (a health probe): a store that can bound its wait
     * for the database (a lock, a slow query) gives up after about {@code timeout} and throws; others just read.
     */
    default List<GroupStatistics> statistics(Duration timeout) {
        return statistics();
    }

    List<FailureGroup> failureGroups(String processingGroup);

    /**
     * Letters held now, per processing group and per hour of their enqueueing, for the hours from {@code since}
     * (inclusive, taken as the start of the first hour) on; hours without letters are left out. One query.
     */
    List<EnqueuedHour> enqueuedPerHour(Instant since);

    List<AttemptRecord> attempts(UUID letterId);

    /**
     * The attempt histories of several letters at once (an export's page), in as few statements as the store can:
     * every given id is a key of the result, in the given order; a letter without history (or unknown) maps to an
     * empty list. The default asks {@link #attempts(UUID)} per letter.
     */
    default Map<UUID, List<AttemptRecord>> attempts(Collection<UUID> letterIds) {
        Map<UUID, List<AttemptRecord>> byLetter = new LinkedHashMap<>();
        letterIds.forEach(id -> byLetter.put(id, attempts(id)));
        return byLetter;
    }

    // --- writes -------------------------------------------------------------------------------------------------

    /** Removes a letter that was handled; drops its sequence when it was the last. */
    boolean remove(StoredLetter letter);

    /**
     * Stores a failed retry: cause, diagnostics and last-touched of {@code updated}, attempts + 1 and, when given,
     * a history row numbered by the letter's new attempt count (the record's own number is not used).
     *
     * @return false when the letter no longer exists
     */
    boolean requeue(StoredLetter updated, AttemptRecord attempt);

    /** @return letters removed (0 or 1) */
    int evictLetter(UUID letterId);

    /**
     * Removes the sequence and its letters, including letters appended concurrently before the eviction took the
     * sequence; appends after it find the sequence gone.
     *
     * @return letters removed
     */
    int evictSequence(String processingGroup, String sequenceKey);

    /**
     * Removes every sequence of the group and their letters, as {@link #evictSequence} does for one. A sequence
     * started concurrently is either removed whole or kept whole.
     *
     * @return letters removed
     */
    int evictGroup(String processingGroup);

    // --- redelivery leases --------------------------------------------------------------------------------------
    //
    // Lease times are the database's: a lease starts and ends by the database clock and is compared with it, so
    // nodes whose clocks disagree still agree on who holds a sequence. The owner is unique per claim.

    /**
     * Leases the sequence for {@code lease} (database time), committed at once, outside the caller's transaction.
     *
     * @return the claim, or empty when the sequence does not exist
     * @throws SequenceClaimedException when another owner holds an unexpired lease
     */
    Optional<SequenceClaim> claim(String processingGroup, String sequenceKey, Duration lease);

    /**
     * Extends a held lease to {@code lease} from now (database time), in the caller's transaction when there is one
     * (which may already hold the sequence row).
     *
     * @return false when the lease was lost (taken over, released, or the sequence is gone)
     */
    boolean renew(SequenceClaim claim, Duration lease);

    /**
     * Removes a letter that was handled under {@code claim}, fenced by the lease, in the caller's transaction (the
     * handler's, so that both commit or neither): first checks that the claim still holds the sequence and renews it,
     * then deletes the letter, and the sequence with its last letter. When it throws, a surrounding transaction is
     * marked rollback-only: what was done under a lost lease, or for a letter that is gone, must not commit.
     *
     * @return letters left in the sequence; 0 means the sequence is gone and with it the lease
     * @throws LeaseLostException        when the claim no longer holds the sequence
     * @throws NoSuchDeadLetterException when the letter is already gone (evicted meanwhile)
     * @throws IllegalArgumentException  when the letter is not of the claimed sequence
     */
    long removeLeased(SequenceClaim claim, StoredLetter letter, Duration lease);

    /**
     * {@link #requeue} fenced by the lease, in the caller's transaction (or its own): checks and renews the lease
     * first, and writes nothing when it is lost. The history row takes the letter's new attempt count as its number.
     *
     * @throws LeaseLostException       when the claim no longer holds the sequence; nothing was changed
     * @throws NoSuchDeadLetterException when the letter is already gone
     */
    void requeueLeased(SequenceClaim claim, StoredLetter updated, AttemptRecord attempt, Duration lease);

    /**
     * Ends the lease: at once without a transaction, otherwise once the caller's transaction has ended, committed or
     * rolled back (it may hold the sequence row, which a separate transaction would wait for forever).
     */
    void release(SequenceClaim claim);

    // --- background work (retry jobs, automatic retry) ----------------------------------------------------------

    /**
     * Keys of the group's sequences that have a letter matching {@code filter} (its sequence key is ignored), at most
     * {@code limit}: the snapshot of a bulk retry job. Stores that can answer in one query order them oldest sequence
     * first; this default pages through {@link #sequences} (no criteria: key order) or {@link #letters} (letter order).
     */
    default List<String> matchingSequenceKeys(String processingGroup, LetterFilter filter, int limit) {
        int page = Math.max(1, Math.min(limit, 500));
        java.util.Set<String> keys = new java.util.LinkedHashSet<>();
        boolean unfiltered = filter == null || (filter.causeType() == null && filter.payloadType() == null
                && filter.from() == null && filter.to() == null);
        String cursor = null;
        do {
            if (unfiltered) {
                Page<SequenceSummary> sequences = sequences(processingGroup, page, cursor);
                sequences.items().forEach(s -> keys.add(s.sequenceKey()));
                cursor = sequences.nextCursor();
            } else {
                Page<StoredLetter> letters = letters(processingGroup, filter.withSequenceKey(null), page, cursor);
                letters.items().forEach(l -> keys.add(l.sequenceKey()));
                cursor = letters.nextCursor();
            }
        } while (cursor != null && keys.size() < limit);
        return keys.stream().limit(limit).toList();
    }

    /** Every processing group that has at least one sequence, in name order. */
    default List<String> processingGroups() {
        return statistics().stream().map(GroupStatistics::processingGroup).toList();
    }

    /**
     * The group's sequences due for automatic retry number {@code retries + 1}, least recently touched first: not
     * claimed, fewer automatic retries than {@code schedule} has entries, and last touched (or last automatically
     * retried) at least {@code schedule[retries]} ago. "Now" is the store's clock (the database's), the clock that
     * {@link #recordAutomaticRetry} records by: the nodes' own clocks may differ.
     *
     * @throws UnsupportedOperationException when the store keeps no automatic-retry state
     */
    default List<DueSequence> dueForAutomaticRetry(String processingGroup, List<Duration> schedule, int limit) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no automatic-retry state");
    }

    /**
     * Records a counted automatic retry of a sequence, run now by the store's clock (the database's), the next one due
     * {@code nextWait} later (null: the schedule is exhausted). The state goes with its sequence (drained or evicted).
     *
     * @return false when the sequence is gone (nothing recorded)
     * @throws UnsupportedOperationException when the store keeps no automatic-retry state
     */
    default boolean recordAutomaticRetry(String processingGroup, String sequenceKey, int retries, String outcome,
                                         Duration nextWait) {
        throw new UnsupportedOperationException(getClass().getName() + " keeps no automatic-retry state");
    }

    /** The sequence's automatic-retry state; empty when it has had none (or is gone). */
    default Optional<AutomaticRetryState> automaticRetryState(String processingGroup, String sequenceKey) {
        return Optional.empty();
    }
}
