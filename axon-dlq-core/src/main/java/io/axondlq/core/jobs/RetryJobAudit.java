package io.axondlq.core.jobs;

import java.util.UUID;

/**
 * Where retry jobs and automatic retry record what they do: job creation (and rejected attempts), stop requests, how
 * each job ended, each sequence a job redelivered, and each automatic redelivery. Implementations write through the
 * caller's transaction (the one that makes the change), so an entry commits or rolls back with its change.
 */
public interface RetryJobAudit {

    /** The audit actor of what the worker does on its own (batches, job ends, automatic retry). */
    String SYSTEM_ACTOR = "system";
    String CREATE = "create-retry-job";
    String STOP = "stop-retry-job";
    String FINISH = "retry-job-finished";
    String SEQUENCE = "retry-job-sequence";
    String AUTO_RETRY = "auto-redeliver";

    /** Records nothing; for applications without an audit log. */
    RetryJobAudit NONE = new RetryJobAudit() {
    };

    default void created(RetryJob job, String idempotencyKey, String actor) {
    }

    /** A create that was refused (idempotency conflict, a job already running); no job exists. */
    default void rejected(RetryJobRequest request, String idempotencyKey, String actor, RuntimeException reason) {
    }

    default void stopRequested(RetryJob job, String actor, boolean stoppedNow) {
    }

    /** How the job ended; recorded as the {@link #SYSTEM_ACTOR}. */
    default void finished(RetryJob job) {
    }

    /**
     * One sequence of a job redelivered, with its outcome; recorded as the {@link #SYSTEM_ACTOR}. The outcome's detail
     * names a failure by its type only (audit readers see it whatever the payload mode).
     */
    default void sequenceProcessed(UUID jobId, String processingGroup, RetryJob.SequenceOutcome outcome) {
    }

    /**
     * One automatic redelivery of a sequence; recorded as the {@link #SYSTEM_ACTOR}.
     *
     * @param retry            which automatic retry of the sequence this was (from 1)
     * @param scheduledRetries how many the schedule has
     * @param outcome          {@code success} or {@code failure}
     */
    default void automaticRetry(String processingGroup, String sequenceKey, int retry, int scheduledRetries,
                                String outcome, String detail) {
    }
}
