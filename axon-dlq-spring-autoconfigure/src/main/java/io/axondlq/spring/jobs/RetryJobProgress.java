package io.axondlq.spring.jobs;

import io.axondlq.core.audit.AuditLog;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Types;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

import static io.axondlq.spring.jobs.RetryJobTables.time;

/**
 * The runner's side of the job tables: job leases and progress. Every write that follows a claim is guarded by
 * {@code owner = :owner AND state = 'RUNNING'}, so a node that lost its lease (or whose job was stopped meanwhile)
 * changes nothing.
 */
final class RetryJobProgress {

    /** A job ready for its next batch. */
    record Candidate(UUID jobId, String processingGroup) {
    }

    /** What a claimed job needs for its batch. */
    record ClaimedJob(UUID jobId, String processingGroup, int batchSize, long cooldownMs, boolean stopRequested,
                      int batch) {
    }

    record PendingSequence(int position, String sequenceKey) {
    }

    /** A processed sequence: its outcome and how it counts. */
    record SequenceResult(String outcome, int redelivered, long remaining, String detail, Counter counter) {
    }

    enum Counter { SUCCEEDED, FAILED, SKIPPED }

    enum Recorded { CONTINUE, STOP_REQUESTED, LEASE_LOST }

    private static final int MAX_DETAIL = 1023;
    private static final int MAX_FAILURE = 1023;

    private final RetryJobTables tables;
    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate inTransaction;
    private final RetryJobAudit audit;

    RetryJobProgress(DataSource dataSource, String tablePrefix, AuditLog auditLog) {
        this.tables = new RetryJobTables(tablePrefix);
        this.jdbc = new NamedParameterJdbcTemplate(dataSource);
        this.inTransaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.inTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.audit = new RetryJobAudit(auditLog);
    }

    /** Running jobs due for a batch (or asked to stop) that no live lease holds, longest waiting first. */
    List<Candidate> candidates(Instant now, int limit) {
        return jdbc.query("SELECT job_id, processing_group FROM " + tables.job + " WHERE state = 'RUNNING' "
                                  + "AND (next_batch_at <= :now OR stop_requested = TRUE) "
                                  + "AND (owner IS NULL OR lease_until < :now) ORDER BY next_batch_at, job_id "
                                  + "LIMIT :limit",
                          new MapSqlParameterSource("now", time(now)).addValue("limit", limit),
                          (rs, i) -> new Candidate(rs.getObject("job_id", UUID.class),
                                                   rs.getString("processing_group")));
    }

    /**
     * Takes the job's lease for one batch: only while it is running and due, and nobody else holds an unexpired
     * lease. One statement, so two nodes can never both succeed.
     */
    Optional<ClaimedJob> claim(UUID jobId, String owner, Instant now, Instant leaseUntil) {
        MapSqlParameterSource params = new MapSqlParameterSource("id", jobId)
                .addValue("owner", owner)
                .addValue("now", time(now))
                .addValue("until", time(leaseUntil));
        return inTransaction.execute(status -> {
            int claimed = jdbc.update("UPDATE " + tables.job + " SET owner = :owner, lease_until = :until, "
                                              + "batches = batches + 1, updated_at = :now WHERE job_id = :id "
                                              + "AND state = 'RUNNING' "
                                              + "AND (next_batch_at <= :now OR stop_requested = TRUE) "
                                              + "AND (owner IS NULL OR lease_until < :now OR owner = :owner)",
                                      params);
            if (claimed == 0) {
                return Optional.empty();
            }
            return jdbc.query("SELECT job_id, processing_group, batch_size, cooldown_ms, stop_requested, batches "
                                      + "FROM " + tables.job + " WHERE job_id = :id", params,
                              (rs, i) -> new ClaimedJob(rs.getObject("job_id", UUID.class),
                                                        rs.getString("processing_group"), rs.getInt("batch_size"),
                                                        rs.getLong("cooldown_ms"), rs.getBoolean("stop_requested"),
                                                        rs.getInt("batches")))
                       .stream().findFirst();
        });
    }

    List<PendingSequence> pending(UUID jobId, int limit) {
        return jdbc.query("SELECT position, sequence_key FROM " + tables.sequence + " WHERE job_id = :id "
                                  + "AND outcome = 'PENDING' ORDER BY position LIMIT :limit",
                          new MapSqlParameterSource("id", jobId).addValue("limit", limit),
                          (rs, i) -> new PendingSequence(rs.getInt("position"), rs.getString("sequence_key")));
    }

    boolean hasPending(UUID jobId) {
        return !pending(jobId, 1).isEmpty();
    }

    /**
     * Records one sequence's outcome and renews the lease, in one transaction, only while the lease is ours.
     *
     * @return whether to go on, stop (an operator asked), or give up (the lease is lost)
     */
    Recorded record(UUID jobId, String owner, PendingSequence sequence, SequenceResult result, int batch,
                    Instant now, Instant leaseUntil) {
        MapSqlParameterSource params = new MapSqlParameterSource("id", jobId)
                .addValue("owner", owner)
                .addValue("now", time(now))
                .addValue("until", time(leaseUntil))
                .addValue("succeeded", result.counter() == Counter.SUCCEEDED ? 1 : 0)
                .addValue("failed", result.counter() == Counter.FAILED ? 1 : 0)
                .addValue("skipped", result.counter() == Counter.SKIPPED ? 1 : 0)
                .addValue("position", sequence.position())
                .addValue("outcome", result.outcome())
                .addValue("redelivered", result.redelivered())
                .addValue("remaining", result.remaining())
                .addValue("detail", RetryJobTables.truncate(result.detail(), MAX_DETAIL), Types.VARCHAR)
                .addValue("batch", batch);
        return inTransaction.execute(status -> {
            int job = jdbc.update("UPDATE " + tables.job + " SET succeeded = succeeded + :succeeded, "
                                          + "failed = failed + :failed, skipped = skipped + :skipped, "
                                          + "lease_until = :until, updated_at = :now WHERE job_id = :id "
                                          + "AND owner = :owner AND state = 'RUNNING'", params);
            if (job == 0) {
                return Recorded.LEASE_LOST;
            }
            int row = jdbc.update("UPDATE " + tables.sequence + " SET outcome = :outcome, redelivered = :redelivered, "
                                          + "remaining = :remaining, detail = :detail, finished_at = :now, "
                                          + "batch_no = :batch WHERE job_id = :id AND position = :position "
                                          + "AND outcome = 'PENDING'", params);
            if (row == 0) {
                // Recorded already: only possible after a lease was lost and taken over. Count nothing.
                status.setRollbackOnly();
                return Recorded.LEASE_LOST;
            }
            Boolean stop = jdbc.queryForObject("SELECT stop_requested FROM " + tables.job + " WHERE job_id = :id",
                                               params, Boolean.class);
            return Boolean.TRUE.equals(stop) ? Recorded.STOP_REQUESTED : Recorded.CONTINUE;
        });
    }

    /** Extends a held lease. @return false when it is no longer ours */
    boolean renew(UUID jobId, String owner, Instant leaseUntil) {
        return jdbc.update("UPDATE " + tables.job + " SET lease_until = :until WHERE job_id = :id "
                                   + "AND owner = :owner AND state = 'RUNNING'",
                           new MapSqlParameterSource("id", jobId).addValue("owner", owner)
                                                                 .addValue("until", time(leaseUntil))) > 0;
    }

    /** Ends a batch: no owner until the next one, which is due after the cooldown. */
    boolean endBatch(UUID jobId, String owner, Instant now, Instant nextBatchAt) {
        return jdbc.update("UPDATE " + tables.job + " SET owner = NULL, lease_until = NULL, "
                                   + "next_batch_at = :next, updated_at = :now WHERE job_id = :id "
                                   + "AND owner = :owner AND state = 'RUNNING'",
                           new MapSqlParameterSource("id", jobId).addValue("owner", owner)
                                                                 .addValue("now", time(now))
                                                                 .addValue("next", time(nextBatchAt))) > 0;
    }

    /** Gives the lease back mid-batch (shutdown, group not available here): any node may go on right away. */
    boolean release(UUID jobId, String owner) {
        return jdbc.update("UPDATE " + tables.job + " SET owner = NULL, lease_until = NULL WHERE job_id = :id "
                                   + "AND owner = :owner AND state = 'RUNNING'",
                           new MapSqlParameterSource("id", jobId).addValue("owner", owner)) > 0;
    }

    /** Ends the job (COMPLETED, STOPPED or FAILED) and audits how it ended, in one transaction. */
    Optional<RetryJob> finish(UUID jobId, String owner, RetryJob.State state, String failure, Instant now) {
        MapSqlParameterSource params = new MapSqlParameterSource("id", jobId)
                .addValue("owner", owner)
                .addValue("state", state.name())
                .addValue("failure", RetryJobTables.truncate(failure, MAX_FAILURE), Types.VARCHAR)
                .addValue("now", time(now));
        return inTransaction.execute(status -> {
            int finished = jdbc.update("UPDATE " + tables.job + " SET state = :state, running_group = NULL, "
                                               + "owner = NULL, lease_until = NULL, failure = :failure, "
                                               + "updated_at = :now WHERE job_id = :id AND owner = :owner "
                                               + "AND state = 'RUNNING'", params);
            if (finished == 0) {
                return Optional.empty();
            }
            RetryJob job = jdbc.query("SELECT " + RetryJobTables.JOB_COLUMNS + " FROM " + tables.job
                                              + " WHERE job_id = :id", params, tables.jobMapper()).get(0);
            audit.finished(job);
            return Optional.of(job);
        });
    }
}
