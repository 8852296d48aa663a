package io.axondlq.core.jobs;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A bulk retry job and its progress.
 *
 * @param sequences per-sequence outcome, in processing order (empty in listings)
 */
public record RetryJob(UUID id, String processingGroup, RetryJobRequest request, State state, boolean stopRequested,
                       int total, int succeeded, int failed, int skipped, Instant createdAt, Instant updatedAt,
                       String createdBy, String owner, String failure, List<SequenceOutcome> sequences) {

    public enum State { RUNNING, COMPLETED, STOPPED, FAILED }

    /** This job with an empty list of per-sequence outcomes (listings, summaries). */
    public RetryJob withoutSequences() {
        return new RetryJob(id, processingGroup, request, state, stopRequested, total, succeeded, failed, skipped,
                            createdAt, updatedAt, createdBy, owner, failure, List.of());
    }

    /** Sequences not processed yet. */
    public int remaining() {
        return Math.max(0, total - succeeded - failed - skipped);
    }

    /**
     * @param outcome PENDING, DRAINED, FAILED, UNREADABLE, NOT_FOUND; CLAIMED (held by another node: skipped) in jobs of
     *                earlier versions only (a held sequence now waits, PENDING, for a later batch)
     */
    public record SequenceOutcome(String sequenceKey, String outcome, int redelivered, long remaining, String detail,
                                  Instant finishedAt) {
    }
}
