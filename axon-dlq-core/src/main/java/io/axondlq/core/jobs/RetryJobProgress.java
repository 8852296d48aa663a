package io.axondlq.core.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The {@link RetryJobRunner}'s side of the job store: claiming a job for a batch, and recording its progress. A
 * claimed job is held by a {@link Leases lease} named {@link #leaseName}; every write after the claim checks that the
 * lease is still the caller's and the job still running, so a node that lost its lease (or whose job was stopped)
 * changes nothing.
 */
public interface RetryJobProgress {

    /** A job ready for its next batch. */
    record Candidate(UUID jobId, String processingGroup) {
    }

    /**
     * What a claimed job needs for its batch.
     *
     * @param batch the number of this batch, recorded with its outcomes: the job's {@code batches} so far plus one.
     *              {@code batches} counts the batches that recorded at least one sequence's outcome; a claim that
     *              processes nothing (the group does not run on the node, every sequence is held elsewhere, a stop) is
     *              none
     */
    record ClaimedJob(UUID jobId, String processingGroup, int batchSize, long cooldownMs, boolean stopRequested,
                      int batch) {
    }

    record PendingSequence(int position, String sequenceKey) {
    }

    /**
     * A processed sequence: its outcome and how it counts.
     *
     * @param detail      for the job's own record: the failure's type and message
     * @param auditDetail for the audit log: the failure's type only (audit readers see it whatever the payload mode,
     *                    and a message may quote the payload)
     */
    record SequenceResult(String outcome, int redelivered, long remaining, String detail, Counter counter,
                          String auditDetail) {

        /** A result whose detail may be audited as it is (it quotes no failure message). */
        public SequenceResult(String outcome, int redelivered, long remaining, String detail, Counter counter) {
            this(outcome, redelivered, remaining, detail, counter, detail);
        }
    }

    enum Counter { SUCCEEDED, FAILED, SKIPPED }

    enum Recorded { CONTINUE, STOP_REQUESTED, LEASE_LOST }

    /**
     * Outcome of a sequence another node was redelivering (skipped), recorded by earlier versions; such a sequence now
     * stays PENDING for a later batch.
     */
    String CLAIMED = "CLAIMED";

    /** The name of a job's lease. */
    static String leaseName(UUID jobId) {
        return "retry-job:" + jobId;
    }

    /** Running jobs due for a batch (or asked to stop), longest waiting first. */
    List<Candidate> candidates(Instant now, int limit);

    /** Takes the job's lease for one batch, only while it is running and due. */
    Optional<ClaimedJob> claim(UUID jobId, String owner, Instant now, Duration lease);

    List<PendingSequence> pending(UUID jobId, int limit);

    default boolean hasPending(UUID jobId) {
        return !pending(jobId, 1).isEmpty();
    }

    /**
     * Records one sequence's outcome (and its audit entry) and renews the lease, in one transaction. When the lease is
     * no longer ours (the job was taken over while this node redelivered the sequence), the outcome is still recorded,
     * and counted, if the sequence is still PENDING and the job still running: what the redelivery did happened, and
     * the node that took over leaves a sequence it finds held for a later batch; then {@link Recorded#LEASE_LOST}.
     *
     * @return whether to go on, stop (an operator asked), or give up (the lease is lost)
     */
    Recorded record(UUID jobId, String owner, PendingSequence sequence, SequenceResult result, int batch,
                    Instant now, Duration lease);

    /** Extends a held lease. @return false when it is no longer ours */
    boolean renew(UUID jobId, String owner, Duration lease);

    /** Ends a batch: the lease is given back, and the next batch is due at {@code nextBatchAt}. */
    boolean endBatch(UUID jobId, String owner, Instant now, Instant nextBatchAt);

    /** Gives the lease back mid-batch (shutdown, group not available here): any node may go on right away. */
    boolean release(UUID jobId, String owner);

    /** Ends the job (COMPLETED, STOPPED or FAILED) and audits how it ended, in one transaction. */
    Optional<RetryJob> finish(UUID jobId, String owner, RetryJob.State state, String failure, Instant now);
}
