package io.axondlq.core.store;

import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The SPI a dead-letter store implements: the hot-path operations the invoker needs, redelivery leases, and the
 * operator queries the REST API serves. Letters are keyed by (processing group, sequence key, sequence index).
 * <p>
 * Every method joins the caller's transaction when there is one, except that a claim always commits in its own short
 * transaction and a release takes effect once the caller's transaction has ended.
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
     * JDBC batch.
     *
     * @return per draft, whether it was appended; {@code false} means the sequence is not (or no longer) parked
     * @throws DeadLetterQueueOverflowException when a sequence is full; nothing of the batch is kept then
     */
    boolean[] appendIfParked(String processingGroup, List<LetterDraft> drafts);

    /**
     * Stores a letter: starts its sequence when absent, appends otherwise. Attempt history rows are written with it.
     *
     * @throws DeadLetterQueueOverflowException when the sequence or the group is full
     */
    UUID enqueue(String processingGroup, LetterDraft draft);

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

    List<FailureGroup> failureGroups(String processingGroup);

    List<AttemptRecord> attempts(UUID letterId);

    // --- writes -------------------------------------------------------------------------------------------------

    /** Removes a letter that was handled; drops its sequence when it was the last. */
    boolean remove(StoredLetter letter);

    /**
     * Stores a failed retry: cause, diagnostics and last-touched of {@code updated}, attempts + 1 and, when given,
     * a history row.
     *
     * @return false when the letter no longer exists
     */
    boolean requeue(StoredLetter updated, AttemptRecord attempt);

    /** @return letters removed (0 or 1) */
    int evictLetter(UUID letterId);

    /** @return letters removed */
    int evictSequence(String processingGroup, String sequenceKey);

    /** @return letters removed */
    int evictGroup(String processingGroup);

    // --- redelivery leases --------------------------------------------------------------------------------------

    /**
     * Leases the sequence for {@code lease}, in its own committed transaction.
     *
     * @return the claim, or empty when the sequence does not exist
     * @throws SequenceClaimedException when another owner holds an unexpired lease
     */
    Optional<SequenceClaim> claim(String processingGroup, String sequenceKey, Duration lease);

    /**
     * Extends a held lease, in the caller's transaction when there is one (which may already hold the sequence row).
     *
     * @return false when the lease was lost (expired and taken, or the sequence is gone)
     */
    boolean renew(SequenceClaim claim, Duration lease);

    /**
     * Ends the lease: at once without a transaction, otherwise once the caller's transaction has ended, committed or
     * rolled back (it may hold the sequence row, which a separate transaction would wait for forever).
     */
    void release(SequenceClaim claim);
}
