package io.axondlq.jdbc.jobs;

import io.axondlq.core.jobs.InvalidRetryJobRequestException;
import io.axondlq.core.jobs.Leases;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobProgress;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.store.CursorCodec;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredText;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

import static io.axondlq.jdbc.jobs.RetryJobRows.time;

/**
 * {@link RetryJobs} in the {@code <prefix>retry_job} and {@code <prefix>retry_job_sequence} tables (PostgreSQL, H2);
 * every statement is in {@link RetryJobStatements}.
 * <p>
 * <b>Creation</b> runs in one transaction on the application's transaction manager: the idempotency key (scoped to
 * the processing group, and valid for the configured time to live) is looked up first (same key and same request
 * hash: the existing job; same key, other request: {@link IdempotencyConflictException}); then the job row is
 * inserted with {@code running_group} set to its processing group, whose UNIQUE constraint admits one running job per
 * group even when two nodes race (the loser sees the winner once it committed and gets
 * {@link JobAlreadyRunningException}, or the winner's job for the same idempotency key); then the snapshot of the
 * matching sequences ({@link DeadLetterStore#matchingSequenceKeys}) is written, each PENDING.
 * <p>
 * The jobs themselves are run by {@link io.axondlq.core.jobs.RetryJobRunner}. Creation, stop and the end of every job
 * are written to the {@link RetryJobAudit} in the transaction of the change; callers should not audit them again.
 */
public class JdbcRetryJobs implements RetryJobs {

    /** How long an idempotency key names its job unless configured otherwise. */
    public static final Duration DEFAULT_IDEMPOTENCY_KEY_TTL = Duration.ofHours(24);

    private static final int MAX_KEY_LENGTH = 255;
    private static final int MAX_ACTOR_LENGTH = 255;
    private static final int CREATE_ATTEMPTS = 5;
    /** Cursor kinds ({@link CursorCodec}): jobs {@code J|seconds|nanos|id}, a job's outcomes {@code S|position}. */
    private static final char JOBS_CURSOR = 'J';
    private static final char OUTCOMES_CURSOR = 'S';

    private final RetryJobStatements sql;
    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate inTransaction;
    private final DeadLetterStore store;
    private final Leases leases;
    private final RetryJobAudit audit;
    private final Duration idempotencyKeyTtl;
    private final Clock clock;

    /**
     * @param transactions      the application's transaction manager (for {@code dataSource})
     * @param idempotencyKeyTtl how long an idempotency key names its job; afterwards it may name a new one
     */
    public JdbcRetryJobs(DataSource dataSource, PlatformTransactionManager transactions, String tablePrefix,
                         DeadLetterStore store, Leases leases, RetryJobAudit audit, Duration idempotencyKeyTtl,
                         Clock clock) {
        this.sql = new RetryJobStatements(tablePrefix);
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.inTransaction = new TransactionTemplate(Objects.requireNonNull(transactions, "transactions"));
        this.inTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.store = Objects.requireNonNull(store, "store");
        this.leases = Objects.requireNonNull(leases, "leases");
        this.audit = Objects.requireNonNull(audit, "audit");
        if (idempotencyKeyTtl == null || idempotencyKeyTtl.isNegative() || idempotencyKeyTtl.isZero()) {
            throw new IllegalArgumentException("idempotencyKeyTtl must be positive, was " + idempotencyKeyTtl);
        }
        this.idempotencyKeyTtl = idempotencyKeyTtl;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // --- create ---------------------------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * @throws InvalidRetryJobRequestException when {@link RetryJobRequest#requireCreatable()} refuses the request;
     *                                         nothing is written, not even an audit entry
     */
    @Override
    public Created create(RetryJobRequest request, String idempotencyKey, String actor) {
        // Before anything is read or written: a value the database cannot store or compare (NUL, longer than its
        // column) fails here, typed and naming the member, not in the snapshot query as a database error.
        Objects.requireNonNull(request, "request").requireCreatable();
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH)) {
            throw new IllegalArgumentException("Idempotency-Key must be 1 to " + MAX_KEY_LENGTH + " characters");
        }
        String createdBy = StoredText.text(actor, MAX_ACTOR_LENGTH);
        String hash = RetryJobRequests.hash(request);
        String key = idempotencyKey == null ? null
                : RetryJobRequests.scopedKey(request.processingGroup(), idempotencyKey);
        for (int attempt = 1; ; attempt++) {
            try {
                return inTransaction.execute(status -> createInTransaction(request, hash, key, idempotencyKey,
                                                                           createdBy));
            } catch (IdempotencyConflictException | JobAlreadyRunningException e) {
                // Its own transaction: the refused create left nothing to commit with.
                inTransaction.executeWithoutResult(status -> audit.rejected(request, idempotencyKey, createdBy, e));
                throw e;
            } catch (DuplicateKeyException | ConcurrencyFailureException e) {
                // Lost a race on the idempotency key or the group's running slot. The next attempt sees the winner
                // (it has committed, or the database would not have reported the duplicate) and answers accordingly.
                if (attempt >= CREATE_ATTEMPTS) {
                    throw e;
                }
                pause(attempt);
            }
        }
    }

    private Created createInTransaction(RetryJobRequest request, String hash, String key, String idempotencyKey,
                                        String actor) {
        Instant now = now();
        if (key != null) {
            jdbc.update(sql.expireIdempotencyKey(), new MapSqlParameterSource("key", key)
                    .addValue("not_before", time(now.minus(idempotencyKeyTtl))));
        }
        Optional<Created> replay = replay(key, idempotencyKey, hash);
        if (replay.isPresent()) {
            return replay.get();
        }
        Optional<UUID> running = runningJobId(request.processingGroup());
        if (running.isPresent()) {
            // Each statement sees what was committed when it started: the running job may be this very key's job,
            // committed by a racing request between the two lookups.
            return replay(key, idempotencyKey, hash).orElseThrow(
                    () -> new JobAlreadyRunningException(request.processingGroup(), running.get()));
        }
        List<String> keys = store.matchingSequenceKeys(request.processingGroup(), new LetterFilter(
                null, request.causeType(), request.payloadType(), request.from(), request.to()),
                                                       request.maxSequences());
        UUID id = UUID.randomUUID();
        jdbc.update(sql.insertJob(), new MapSqlParameterSource("id", id)
                .addValue("group", request.processingGroup())
                .addValue("key", key, Types.VARCHAR)
                .addValue("hash", hash)
                .addValue("request", RetryJobRequests.toJson(request))
                .addValue("batch_size", request.batchSize())
                .addValue("cooldown_ms", request.cooldown().toMillis())
                .addValue("total", keys.size())
                .addValue("created_by", actor, Types.VARCHAR)
                .addValue("now", time(now)));
        if (keys.isEmpty()) {
            jdbc.update(sql.completeEmptyJob(), new MapSqlParameterSource("id", id));
        } else {
            List<MapSqlParameterSource> rows = new ArrayList<>(keys.size());
            int position = 0;
            for (String sequenceKey : keys) {
                rows.add(new MapSqlParameterSource("job_id", id).addValue("position", ++position)
                                                                .addValue("key", sequenceKey));
            }
            jdbc.batchUpdate(sql.insertSnapshotSequence(), rows.toArray(MapSqlParameterSource[]::new));
        }
        RetryJob job = summary(id).orElseThrow();
        audit.created(job, idempotencyKey, actor);
        if (keys.isEmpty()) {
            audit.finished(job);
        }
        return new Created(job, true);
    }

    /**
     * The job already created with this (scoped, unexpired) idempotency key, if any.
     *
     * @throws IdempotencyConflictException when that job was created for a different request
     */
    private Optional<Created> replay(String key, String idempotencyKey, String hash) {
        if (key == null) {
            return Optional.empty();
        }
        Optional<UUID> existing = jdbc.query(sql.jobByIdempotencyKey(), new MapSqlParameterSource("key", key),
                                             (rs, i) -> {
                                                 if (!hash.equals(rs.getString("request_hash"))) {
                                                     throw new IdempotencyConflictException(idempotencyKey);
                                                 }
                                                 return rs.getObject("job_id", UUID.class);
                                             }).stream().findFirst();
        return existing.map(id -> new Created(summary(id).orElseThrow(), false));
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(20L * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating a retry job", e);
        }
    }

    // --- reads ----------------------------------------------------------------------------------------------------

    /** The job with every per-sequence outcome, in processing order. */
    @Override
    public Optional<RetryJob> find(UUID id) {
        Objects.requireNonNull(id, "id");
        MapSqlParameterSource params = new MapSqlParameterSource("id", id);
        List<RetryJob.SequenceOutcome> outcomes = jdbc.query(sql.allOutcomes(), params, RetryJobRows.OUTCOME);
        return jdbc.query(sql.jobById(), params, (rs, i) -> RetryJobRows.job(rs, outcomes)).stream().findFirst();
    }

    @Override
    public Optional<RetryJob> summary(UUID id) {
        Objects.requireNonNull(id, "id");
        return jdbc.query(sql.jobById(), new MapSqlParameterSource("id", id), RetryJobRows.JOB).stream().findFirst();
    }

    /**
     * One page of a job's per-sequence outcomes, in processing order.
     *
     * @throws InvalidCursorException for a cursor this method did not hand out
     */
    @Override
    public Page<RetryJob.SequenceOutcome> outcomes(UUID id, int limit, String cursor) {
        requirePositive(limit);
        MapSqlParameterSource params = new MapSqlParameterSource("id", id).addValue("limit", Page.rowsToRead(limit))
                                                                          .addValue("after", 0);
        if (cursor != null) {
            long after = CursorCodec.number(CursorCodec.decode(cursor, OUTCOMES_CURSOR, 1)[0], cursor);
            if (after < 0 || after > Integer.MAX_VALUE) {
                throw new InvalidCursorException(cursor);
            }
            params.addValue("after", (int) after);
        }
        List<PositionedOutcome> rows = jdbc.query(sql.outcomesPage(), params, (rs, i) -> new PositionedOutcome(
                rs.getInt("position"), RetryJobRows.OUTCOME.mapRow(rs, i)));
        Page<PositionedOutcome> page = Page.of(rows, limit,
                                               last -> CursorCodec.encode(OUTCOMES_CURSOR, last.position()));
        return new Page<>(page.items().stream().map(PositionedOutcome::outcome).toList(), page.nextCursor());
    }

    /** An outcome with its position in the job, the key of the outcomes' cursor. */
    private record PositionedOutcome(int position, RetryJob.SequenceOutcome outcome) {
    }

    @Override
    public Page<RetryJob> list(int limit, String cursor) {
        requirePositive(limit);
        MapSqlParameterSource params = new MapSqlParameterSource("limit", Page.rowsToRead(limit));
        if (cursor != null) {
            String[] parts = CursorCodec.decode(cursor, JOBS_CURSOR, 3);
            params.addValue("before_at", time(CursorCodec.instant(parts[0], parts[1], cursor)))
                  .addValue("before_id", CursorCodec.uuid(parts[2], cursor));
        }
        List<RetryJob> rows = jdbc.query(sql.jobs(cursor != null), params, RetryJobRows.JOB);
        return Page.of(rows, limit, last -> CursorCodec.encode(JOBS_CURSOR, last.createdAt().getEpochSecond(),
                                                               last.createdAt().getNano(), last.id()));
    }

    @Override
    public Optional<RetryJob> activeJob(String processingGroup) {
        return runningJobId(processingGroup).flatMap(this::summary);
    }

    private Optional<UUID> runningJobId(String processingGroup) {
        return jdbc.queryForList(sql.runningJobId(), new MapSqlParameterSource("group", processingGroup), UUID.class)
                   .stream().findFirst();
    }

    // --- stop -----------------------------------------------------------------------------------------------------

    /**
     * Asks a running job to stop. When no node holds its lease right now (between batches, or its node's lease
     * expired), it is STOPPED at once; otherwise its node stops it after the current sequence. A finished job is
     * returned as it is. The stop request is audited with {@code actor}, in the same transaction.
     */
    @Override
    public Optional<RetryJob> stop(UUID id, String actor) {
        Objects.requireNonNull(id, "id");
        String stoppedBy = StoredText.text(actor, MAX_ACTOR_LENGTH);
        return inTransaction.execute(status -> {
            MapSqlParameterSource params = new MapSqlParameterSource("id", id).addValue("now", time(now()));
            if (jdbc.update(sql.requestStop(), params) == 0) {
                return summary(id);
            }
            // The job row is locked by the update above: a node claiming it now waits, then finds it STOPPED.
            boolean held = leases.holder(RetryJobProgress.leaseName(id)).isPresent();
            boolean stopped = !held && jdbc.update(sql.stopNow(), params) > 0;
            RetryJob job = summary(id).orElseThrow();
            audit.stopRequested(job, stoppedBy, stopped);
            if (stopped) {
                audit.finished(job);
            }
            return Optional.of(job);
        });
    }

    private static void requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
    }

    /** Database timestamps keep microseconds (PostgreSQL); so do ours, so that cursors and comparisons are exact. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
