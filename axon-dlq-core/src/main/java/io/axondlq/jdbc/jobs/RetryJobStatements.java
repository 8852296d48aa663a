package io.axondlq.jdbc.jobs;

/**
 * Every SQL statement of {@link JdbcRetryJobs} on {@code <prefix>retry_job} and {@code <prefix>retry_job_sequence}:
 * creation, idempotency keys, reads and stop requests. Portable SQL (PostgreSQL, H2): no dialect overrides.
 */
final class RetryJobStatements {

    static final String JOB_COLUMNS = "job_id, processing_group, request, state, stop_requested, total, succeeded, "
            + "failed, skipped, created_at, updated_at, created_by, owner, failure";
    private static final String OUTCOME_COLUMNS = "sequence_key, outcome, redelivered, remaining, detail, "
            + "finished_at";

    final String job;
    final String sequence;

    RetryJobStatements(String tablePrefix) {
        RetryJobRows.validPrefix(tablePrefix);
        this.job = tablePrefix + "retry_job";
        this.sequence = tablePrefix + "retry_job_sequence";
    }

    String insertJob() {
        return "INSERT INTO " + job + " (job_id, processing_group, idempotency_key, request_hash, request, "
                + "batch_size, cooldown_ms, state, stop_requested, running_group, total, succeeded, failed, skipped, "
                + "batches, created_by, created_at, updated_at, next_batch_at) VALUES (:id, :group, :key, :hash, "
                + ":request, :batch_size, :cooldown_ms, 'RUNNING', FALSE, :group, :total, 0, 0, 0, 0, :created_by, "
                + ":now, :now, :now)";
    }

    String insertSnapshotSequence() {
        return "INSERT INTO " + sequence + " (job_id, position, sequence_key, outcome, redelivered, remaining) "
                + "VALUES (:job_id, :position, :key, 'PENDING', 0, 0)";
    }

    /** A job that matched nothing is done before it started. */
    String completeEmptyJob() {
        return "UPDATE " + job + " SET state = 'COMPLETED', running_group = NULL WHERE job_id = :id";
    }

    /** Frees an expired key, so that it can name a new job (its old job keeps everything else). */
    String expireIdempotencyKey() {
        return "UPDATE " + job + " SET idempotency_key = NULL WHERE idempotency_key = :key "
                + "AND created_at < :not_before";
    }

    String jobByIdempotencyKey() {
        return "SELECT job_id, request_hash FROM " + job + " WHERE idempotency_key = :key";
    }

    String runningJobId() {
        return "SELECT job_id FROM " + job + " WHERE running_group = :group";
    }

    String jobById() {
        return "SELECT " + JOB_COLUMNS + " FROM " + job + " WHERE job_id = :id";
    }

    String allOutcomes() {
        return "SELECT " + OUTCOME_COLUMNS + " FROM " + sequence + " WHERE job_id = :id ORDER BY position";
    }

    String outcomesPage() {
        return "SELECT position, " + OUTCOME_COLUMNS + " FROM " + sequence + " WHERE job_id = :id "
                + "AND position > :after ORDER BY position LIMIT :limit";
    }

    String jobs(boolean afterCursor) {
        return "SELECT " + JOB_COLUMNS + " FROM " + job
                + (afterCursor ? " WHERE (created_at, job_id) < (:before_at, :before_id)" : "")
                + " ORDER BY created_at DESC, job_id DESC LIMIT :limit";
    }

    String requestStop() {
        return "UPDATE " + job + " SET stop_requested = TRUE, updated_at = :now WHERE job_id = :id "
                + "AND state = 'RUNNING' AND stop_requested = FALSE";
    }

    /** Run while the job row is locked by {@link #requestStop()}, after checking that no node holds its lease. */
    String stopNow() {
        return "UPDATE " + job + " SET state = 'STOPPED', running_group = NULL, owner = NULL, lease_until = NULL "
                + "WHERE job_id = :id AND state = 'RUNNING'";
    }
}
