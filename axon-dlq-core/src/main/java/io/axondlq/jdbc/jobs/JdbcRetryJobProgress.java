package io.axondlq.jdbc.jobs;

import io.axondlq.core.jobs.Leases;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobProgress;
import io.axondlq.core.store.StoredText;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

import static io.axondlq.jdbc.jobs.RetryJobRows.time;

/**
 * {@link RetryJobProgress} on the job tables ({@link RetryJobProgressStatements}) and a {@link Leases lease} per job
 * ({@link RetryJobProgress#leaseName}). Each write runs in its own transaction on the application's transaction
 * manager and takes the lease row before the job row (one order for every write and the claim, so two nodes cannot
 * deadlock), starting by renewing the lease: the lease row stays locked until the transaction ends, so no other node
 * can take the job over half-way through it. Audit entries are written in the same transaction.
 */
public final class JdbcRetryJobProgress implements RetryJobProgress {

    private static final int MAX_DETAIL = 1023;
    private static final int MAX_FAILURE = 1023;

    private final RetryJobProgressStatements sql;
    private final RetryJobStatements jobs;
    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate inTransaction;
    private final Leases leases;
    private final RetryJobAudit audit;

    public JdbcRetryJobProgress(DataSource dataSource, PlatformTransactionManager transactions, String tablePrefix,
                                Leases leases, RetryJobAudit audit) {
        this.sql = new RetryJobProgressStatements(tablePrefix);
        this.jobs = new RetryJobStatements(tablePrefix);
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.inTransaction = new TransactionTemplate(Objects.requireNonNull(transactions, "transactions"));
        this.inTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.leases = Objects.requireNonNull(leases, "leases");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    @Override
    public List<Candidate> candidates(Instant now, int limit) {
        return jdbc.query(sql.candidates(), new MapSqlParameterSource("now", time(now)).addValue("limit", limit),
                          (rs, i) -> new Candidate(rs.getObject("job_id", UUID.class),
                                                   rs.getString("processing_group")));
    }

    /** Lease first, then the job row; if the job is not running and due, both roll back. */
    @Override
    public Optional<ClaimedJob> claim(UUID jobId, String owner, Instant now, Duration lease) {
        MapSqlParameterSource params = new MapSqlParameterSource("id", jobId).addValue("owner", owner)
                                                                             .addValue("now", time(now));
        return inTransaction.execute(status -> {
            if (!leases.acquire(RetryJobProgress.leaseName(jobId), owner, lease)) {
                return Optional.empty();
            }
            if (jdbc.update(sql.claim(), params) == 0) {
                status.setRollbackOnly();
                return Optional.empty();
            }
            return jdbc.query(sql.claimedJob(), params,
                              (rs, i) -> new ClaimedJob(rs.getObject("job_id", UUID.class),
                                                        rs.getString("processing_group"), rs.getInt("batch_size"),
                                                        rs.getLong("cooldown_ms"), rs.getBoolean("stop_requested"),
                                                        rs.getInt("batches") + 1))
                       .stream().findFirst();
        });
    }

    @Override
    public List<PendingSequence> pending(UUID jobId, int limit) {
        return jdbc.query(sql.pending(), new MapSqlParameterSource("id", jobId).addValue("limit", limit),
                          (rs, i) -> new PendingSequence(rs.getInt("position"), rs.getString("sequence_key")));
    }

    @Override
    public Recorded record(UUID jobId, String owner, PendingSequence sequence, SequenceResult result, int batch,
                           Instant now, Duration lease) {
        String detail = StoredText.text(result.detail(), MAX_DETAIL);
        MapSqlParameterSource params = new MapSqlParameterSource("id", jobId)
                .addValue("owner", owner)
                .addValue("now", time(now))
                .addValue("succeeded", result.counter() == Counter.SUCCEEDED ? 1 : 0)
                .addValue("failed", result.counter() == Counter.FAILED ? 1 : 0)
                .addValue("skipped", result.counter() == Counter.SKIPPED ? 1 : 0)
                .addValue("position", sequence.position())
                .addValue("outcome", result.outcome())
                .addValue("redelivered", result.redelivered())
                .addValue("remaining", result.remaining())
                .addValue("detail", detail, Types.VARCHAR)
                .addValue("batch", batch);
        return inTransaction.execute(status -> {
            boolean held = leases.renew(RetryJobProgress.leaseName(jobId), owner, lease);
            // Taken over while this node redelivered the sequence: what it did to the sequence happened all the same,
            // and counts, once, unless a node recorded the sequence meanwhile or the job ended. The job row, then the
            // sequence row, after the lease row: the order of every write.
            if (jdbc.update(held ? sql.countOutcome() : sql.countTakenOverOutcome(), params) == 0) {
                // The job ended meanwhile: the node that took it over found this node's last sequence empty, recorded
                // it NOT_FOUND and finished. The drain is still what happened to that sequence.
                if (!held && drained(result) && jdbc.update(sql.lockEndedJob(), params) > 0
                        && replaceFoundGone(jobId, params, false)) {
                    auditProcessed(jobId, sequence, result, now, params);
                    return Recorded.LEASE_LOST;
                }
                status.setRollbackOnly();
                return Recorded.LEASE_LOST;
            }
            // The job row is locked until the commit, and every write of the job's sequences takes it first: what the
            // sequence row says now is final. A NOT_FOUND there was recorded by the node that took the job over and
            // found the sequence empty before this node recorded its drain: the drain is what happened, and replaces
            // that record and its skip.
            if (jdbc.update(sql.recordOutcome(), params) == 0
                    && !(drained(result) && replaceFoundGone(jobId, params, true))) {
                status.setRollbackOnly();
                return Recorded.LEASE_LOST;
            }
            auditProcessed(jobId, sequence, result, now, params);
            if (!held) {
                return Recorded.LEASE_LOST;
            }
            Boolean stop = jdbc.queryForObject(sql.stopRequested(), params, Boolean.class);
            return Boolean.TRUE.equals(stop) ? Recorded.STOP_REQUESTED : Recorded.CONTINUE;
        });
    }

    private static boolean drained(SequenceResult result) {
        return "DRAINED".equals(result.outcome());
    }

    /**
     * A drain replaces the {@code NOT_FOUND} that the node which took the job over recorded when it found the
     * sequence empty before the drain was recorded, and the job's counts follow: that skip no longer counts, and the
     * drain counts as succeeded (already counted with the outcome when the job was still running:
     * {@code drainCounted}). The caller holds the job's row, as every write of a job's sequences does first.
     *
     * @return false, having changed nothing, when the sequence's record is not {@code NOT_FOUND}
     */
    private boolean replaceFoundGone(UUID jobId, MapSqlParameterSource params, boolean drainCounted) {
        if (jdbc.update(sql.replaceFoundGone(), params) == 0) {
            return false;
        }
        jdbc.update(sql.recountFoundGone(), new MapSqlParameterSource("id", jobId)
                .addValue("uncountedDrain", drainCounted ? 0 : 1));
        return true;
    }

    private void auditProcessed(UUID jobId, PendingSequence sequence, SequenceResult result, Instant now,
                                MapSqlParameterSource params) {
        String group = jdbc.queryForObject(sql.processingGroup(), params, String.class);
        audit.sequenceProcessed(jobId, group, new RetryJob.SequenceOutcome(
                sequence.sequenceKey(), result.outcome(), result.redelivered(), result.remaining(),
                StoredText.text(result.auditDetail(), MAX_DETAIL), now));
    }

    @Override
    public boolean renew(UUID jobId, String owner, Duration lease) {
        return leases.renew(RetryJobProgress.leaseName(jobId), owner, lease);
    }

    @Override
    public boolean endBatch(UUID jobId, String owner, Instant now, Instant nextBatchAt) {
        return Boolean.TRUE.equals(inTransaction.execute(status -> {
            // The lease row before the job row, as a claim takes them: the other order deadlocks with a claim of a
            // node that took the expired lease over.
            leases.release(RetryJobProgress.leaseName(jobId), owner);
            return jdbc.update(sql.endBatch(), new MapSqlParameterSource("id", jobId)
                    .addValue("owner", owner).addValue("now", time(now)).addValue("next", time(nextBatchAt))) > 0;
        }));
    }

    @Override
    public boolean release(UUID jobId, String owner) {
        return Boolean.TRUE.equals(inTransaction.execute(status -> {
            leases.release(RetryJobProgress.leaseName(jobId), owner); // lease row first, as everywhere
            return jdbc.update(sql.release(), new MapSqlParameterSource("id", jobId).addValue("owner", owner)) > 0;
        }));
    }

    @Override
    public Optional<RetryJob> finish(UUID jobId, String owner, RetryJob.State state, String failure, Instant now) {
        MapSqlParameterSource params = new MapSqlParameterSource("id", jobId)
                .addValue("owner", owner)
                .addValue("state", state.name())
                .addValue("failure", StoredText.text(failure, MAX_FAILURE), Types.VARCHAR)
                .addValue("now", time(now));
        return inTransaction.execute(status -> {
            leases.release(RetryJobProgress.leaseName(jobId), owner); // lease row first, as everywhere
            if (jdbc.update(sql.finish(), params) == 0) {
                status.setRollbackOnly(); // not this node's job: its lease row stays as it was
                return Optional.empty();
            }
            RetryJob job = jdbc.query(jobs.jobById(), params, RetryJobRows.JOB).get(0);
            audit.finished(job);
            return Optional.of(job);
        });
    }
}
