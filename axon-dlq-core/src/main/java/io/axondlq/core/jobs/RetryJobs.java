package io.axondlq.core.jobs;

import io.axondlq.core.store.Page;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Bulk retry jobs: stored in the database, run on exactly one node at a time, resumed after a restart.
 * Implementations write every create (accepted or rejected) and stop to the audit log themselves, in the same
 * transaction as the change, so callers never audit job actions.
 */
public interface RetryJobs {

    /** Result of {@link #create}: the job, and whether it was created now or found by its idempotency key. */
    record Created(RetryJob job, boolean created) {
    }

    /**
     * Starts a job. With an idempotency key: the same key and the same request return the existing job.
     *
     * @throws InvalidRetryJobRequestException when the request fails {@link RetryJobRequest#requireCreatable()}
     *                                         (NUL, a type longer than its column, a date the database cannot store);
     *                                         nothing is written
     * @throws IdempotencyConflictException when the key was used for a different request
     * @throws JobAlreadyRunningException   when the group already has a running job
     */
    Created create(RetryJobRequest request, String idempotencyKey, String actor);

    /** The job with every per-sequence outcome; for large jobs use {@link #summary} and {@link #outcomes}. */
    Optional<RetryJob> find(UUID id);

    /** The job without its per-sequence outcomes: one row, whatever the job's size. */
    default Optional<RetryJob> summary(UUID id) {
        return find(id).map(RetryJob::withoutSequences);
    }

    /**
     * One page of a job's per-sequence outcomes, in processing order.
     *
     * @throws io.axondlq.core.store.InvalidCursorException for a cursor this method did not hand out
     */
    default Page<RetryJob.SequenceOutcome> outcomes(UUID id, int limit, String cursor) {
        if (cursor != null) {
            throw new io.axondlq.core.store.InvalidCursorException(cursor);
        }
        List<RetryJob.SequenceOutcome> all = find(id).map(RetryJob::sequences).orElse(List.of());
        return new Page<>(all.subList(0, Math.min(limit, all.size())), null);
    }

    /** Newest first, without per-sequence outcomes. */
    Page<RetryJob> list(int limit, String cursor);

    /** Asks a running job to stop after its current sequence; a finished job is returned as it is. */
    Optional<RetryJob> stop(UUID id, String actor);

    /** The group's running job, without its per-sequence outcomes. */
    Optional<RetryJob> activeJob(String processingGroup);

    class IdempotencyConflictException extends RuntimeException {
        public IdempotencyConflictException(String key) {
            super("Idempotency-Key [" + key + "] was already used for a different request");
        }
    }

    class JobAlreadyRunningException extends RuntimeException {
        private final UUID runningJob;

        public JobAlreadyRunningException(String processingGroup, UUID runningJob) {
            super("Processing group [" + processingGroup + "] already has a running retry job [" + runningJob + "]");
            this.runningJob = runningJob;
        }

        public UUID runningJob() {
            return runningJob;
        }
    }
}
