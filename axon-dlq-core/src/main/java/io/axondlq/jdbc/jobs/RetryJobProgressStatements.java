package io.axondlq.jdbc.jobs;

/**
 * Every SQL statement of {@link JdbcRetryJobProgress}: claiming a job for a batch and recording its per-sequence
 * outcomes. The lease itself is {@link LeaseStatements}'; these guard on the job's state. Portable SQL.
 */
final class RetryJobProgressStatements {

    private final String job;
    private final String sequence;

    RetryJobProgressStatements(String tablePrefix) {
        RetryJobRows.validPrefix(tablePrefix);
        this.job = tablePrefix + "retry_job";
        this.sequence = tablePrefix + "retry_job_sequence";
    }

    String candidates() {
        return "SELECT job_id, processing_group FROM " + job + " WHERE state = 'RUNNING' "
                + "AND (next_batch_at <= :now OR stop_requested = TRUE) ORDER BY next_batch_at, job_id LIMIT :limit";
    }

    /**
     * Run after the job's lease was taken, in the same transaction: only a running, due job is claimed. A claim is no
     * batch yet: {@code batches} counts the batches that recorded an outcome ({@link #countTakenOverOutcome}).
     */
    String claim() {
        return "UPDATE " + job + " SET owner = :owner, updated_at = :now WHERE job_id = :id "
                + "AND state = 'RUNNING' AND (next_batch_at <= :now OR stop_requested = TRUE)";
    }

    String claimedJob() {
        return "SELECT job_id, processing_group, batch_size, cooldown_ms, stop_requested, batches FROM " + job
                + " WHERE job_id = :id";
    }

    String pending() {
        return "SELECT position, sequence_key FROM " + sequence + " WHERE job_id = :id AND outcome = 'PENDING' "
                + "ORDER BY position LIMIT :limit";
    }

    /** Counts an outcome of the job's holder. */
    String countOutcome() {
        return countTakenOverOutcome() + " AND owner = :owner";
    }

    /** Counts an outcome of a node whose job was taken over mid-sequence: whoever holds the job now. */
    String countTakenOverOutcome() {
        return "UPDATE " + job + " SET succeeded = succeeded + :succeeded, failed = failed + :failed, "
                + "skipped = skipped + :skipped, batches = CASE WHEN batches < :batch THEN :batch ELSE batches END, "
                + "updated_at = :now WHERE job_id = :id AND state = 'RUNNING'";
    }

    String recordOutcome() {
        return setOutcomeWhere("PENDING");
    }

    /**
     * The outcome of the node whose redelivery emptied the sequence replaces the {@code NOT_FOUND} another node
     * recorded when it found the sequence gone before that outcome was recorded.
     */
    String replaceFoundGone() {
        return setOutcomeWhere("NOT_FOUND");
    }

    private String setOutcomeWhere(String currentOutcome) {
        return "UPDATE " + sequence + " SET outcome = :outcome, redelivered = :redelivered, remaining = :remaining, "
                + "detail = :detail, finished_at = :now, batch_no = :batch WHERE job_id = :id "
                + "AND position = :position AND outcome = '" + currentOutcome + "'";
    }

    /**
     * The replaced {@code NOT_FOUND} no longer counts as skipped; the drain that replaced it counts as succeeded
     * ({@code :uncountedDrain} 1) unless the outcome's count took it already (0, while the job runs).
     */
    String recountFoundGone() {
        return "UPDATE " + job + " SET succeeded = succeeded + :uncountedDrain, skipped = skipped - 1 "
                + "WHERE job_id = :id";
    }

    /** Takes the row of a job that has ended, as every write of a job's sequences takes its job's row first. */
    String lockEndedJob() {
        return "UPDATE " + job + " SET succeeded = succeeded WHERE job_id = :id AND state <> 'RUNNING'";
    }

    String processingGroup() {
        return "SELECT processing_group FROM " + job + " WHERE job_id = :id";
    }

    String stopRequested() {
        return "SELECT stop_requested FROM " + job + " WHERE job_id = :id";
    }

    String endBatch() {
        return "UPDATE " + job + " SET owner = NULL, next_batch_at = :next, updated_at = :now WHERE job_id = :id "
                + "AND owner = :owner AND state = 'RUNNING'";
    }

    String release() {
        return "UPDATE " + job + " SET owner = NULL WHERE job_id = :id AND owner = :owner AND state = 'RUNNING'";
    }

    String finish() {
        return "UPDATE " + job + " SET state = :state, running_group = NULL, owner = NULL, lease_until = NULL, "
                + "failure = :failure, updated_at = :now WHERE job_id = :id AND owner = :owner AND state = 'RUNNING'";
    }
}
