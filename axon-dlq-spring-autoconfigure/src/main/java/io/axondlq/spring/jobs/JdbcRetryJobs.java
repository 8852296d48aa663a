package io.axondlq.spring.jobs;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.SequenceSummary;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.core.audit.AuditLog;
import org.springframework.dao.ConcurrencyFailureException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.charset.StandardCharsets;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;

import static io.axondlq.spring.jobs.RetryJobTables.time;

/**
 * {@link RetryJobs} in the {@code <prefix>retry_job} and {@code <prefix>retry_job_sequence} tables (PostgreSQL, H2).
 * <p>
 * <b>Creation</b> runs in one transaction: the idempotency key is looked up first (same key and same request hash:
 * the existing job; same key, other request: {@link IdempotencyConflictException}); then the job row is inserted
 * with {@code running_group} set to its processing group, whose UNIQUE constraint admits one running job per group
 * even when two nodes race (the loser sees the winner once it committed and gets
 * {@link JobAlreadyRunningException}, or the winner's job for the same idempotency key); then the snapshot of the
 * matching sequences is written, each PENDING. With a {@link JdbcDeadLetterStore} in the same database the snapshot is
 * one {@code INSERT ... SELECT} over the store's tables (oldest sequence first); with any other store it is read
 * through {@link DeadLetterStore#sequences}/{@link DeadLetterStore#letters} paging.
 * <p>
 * The jobs themselves are run by {@link RetryJobRunner}. Creation, stop and the end of every job are written to the
 * {@link AuditLog}; callers should not audit them again.
 */
public class JdbcRetryJobs implements RetryJobs {

    private static final int MAX_KEY_LENGTH = 255;
    private static final int MAX_GROUP_LENGTH = 255;
    private static final int MAX_ACTOR_LENGTH = 255;
    private static final int SNAPSHOT_PAGE = 500;
    private static final int CREATE_ATTEMPTS = 5;

    private final RetryJobTables tables;
    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate inTransaction;
    private final DeadLetterStore store;
    private final boolean snapshotInDatabase;
    private final RetryJobAudit audit;
    private final Clock clock;

    /**
     * Takes the snapshot in the database when {@code store} is a {@link JdbcDeadLetterStore}, which must then use the
     * same database and table prefix.
     */
    public JdbcRetryJobs(DataSource dataSource, String tablePrefix, DeadLetterStore store, AuditLog auditLog,
                         Clock clock) {
        this(dataSource, tablePrefix, store, store instanceof JdbcDeadLetterStore, auditLog, clock);
    }

    /**
     * @param snapshotInDatabase whether the snapshot is read with SQL from the store's tables in this database (same
     *                           table prefix); otherwise it is paged through {@code store}'s API
     */
    public JdbcRetryJobs(DataSource dataSource, String tablePrefix, DeadLetterStore store, boolean snapshotInDatabase,
                         AuditLog auditLog, Clock clock) {
        this.tables = new RetryJobTables(tablePrefix);
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.inTransaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.inTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.store = Objects.requireNonNull(store, "store");
        this.snapshotInDatabase = snapshotInDatabase;
        this.audit = new RetryJobAudit(Objects.requireNonNull(auditLog, "auditLog"));
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // --- create ---------------------------------------------------------------------------------------------------

    @Override
    public Created create(RetryJobRequest request, String idempotencyKey, String actor) {
        Objects.requireNonNull(request, "request");
        if (request.processingGroup().length() > MAX_GROUP_LENGTH) {
            throw new IllegalArgumentException("processingGroup must be at most " + MAX_GROUP_LENGTH + " characters");
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_KEY_LENGTH)) {
            throw new IllegalArgumentException("Idempotency-Key must be 1 to " + MAX_KEY_LENGTH + " characters");
        }
        String createdBy = RetryJobTables.truncate(actor, MAX_ACTOR_LENGTH);
        String hash = RetryJobRequests.hash(request);
        for (int attempt = 1; ; attempt++) {
            try {
                return inTransaction.execute(status -> createInTransaction(request, hash, idempotencyKey, createdBy));
            } catch (IdempotencyConflictException | JobAlreadyRunningException e) {
                audit.rejected(request, idempotencyKey, createdBy, e);
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

    private Created createInTransaction(RetryJobRequest request, String hash, String idempotencyKey, String actor) {
        Optional<Created> replay = replay(idempotencyKey, hash);
        if (replay.isPresent()) {
            return replay.get();
        }
        Optional<UUID> running = runningJobId(request.processingGroup());
        if (running.isPresent()) {
            // Each statement sees what was committed when it started: the running job may be this very key's job,
            // committed by a racing request between the two lookups.
            return replay(idempotencyKey, hash).orElseThrow(
                    () -> new JobAlreadyRunningException(request.processingGroup(), running.get()));
        }
        UUID id = UUID.randomUUID();
        Instant now = RetryJobTables.now(clock);
        jdbc.update("INSERT INTO " + tables.job + " (job_id, processing_group, idempotency_key, request_hash, request, "
                            + "batch_size, cooldown_ms, state, stop_requested, running_group, total, succeeded, failed, "
                            + "skipped, batches, created_by, created_at, updated_at, next_batch_at) VALUES (:id, "
                            + ":group, :key, :hash, :request, :batch_size, :cooldown_ms, 'RUNNING', FALSE, :group, 0, 0, "
                            + "0, 0, 0, :created_by, :now, :now, :now)",
                    new MapSqlParameterSource("id", id)
                            .addValue("group", request.processingGroup())
                            .addValue("key", idempotencyKey, Types.VARCHAR)
                            .addValue("hash", hash)
                            .addValue("request", RetryJobRequests.toJson(request))
                            .addValue("batch_size", request.batchSize())
                            .addValue("cooldown_ms", request.cooldown().toMillis())
                            .addValue("created_by", actor, Types.VARCHAR)
                            .addValue("now", time(now)));
        int total = snapshotInDatabase ? snapshotWithSql(id, request) : snapshotThroughStore(id, request);
        if (total == 0) {
            // Nothing matched: the job is done before it started.
            jdbc.update("UPDATE " + tables.job + " SET state = 'COMPLETED', running_group = NULL WHERE job_id = :id",
                        new MapSqlParameterSource("id", id));
        } else {
            jdbc.update("UPDATE " + tables.job + " SET total = :total WHERE job_id = :id",
                        new MapSqlParameterSource("id", id).addValue("total", total));
        }
        RetryJob job = find(id).orElseThrow();
        audit.created(job, idempotencyKey, actor);
        if (total == 0) {
            audit.finished(job);
        }
        return new Created(job, true);
    }

    /**
     * The job already created with this idempotency key, if any.
     *
     * @throws IdempotencyConflictException when that job was created for a different request
     */
    private Optional<Created> replay(String idempotencyKey, String hash) {
        if (idempotencyKey == null) {
            return Optional.empty();
        }
        Optional<UUID> existing = jdbc.query(
                "SELECT job_id, request_hash FROM " + tables.job + " WHERE idempotency_key = :key",
                new MapSqlParameterSource("key", idempotencyKey),
                (rs, i) -> {
                    if (!hash.equals(rs.getString("request_hash"))) {
                        throw new IdempotencyConflictException(idempotencyKey);
                    }
                    return rs.getObject("job_id", UUID.class);
                }).stream().findFirst();
        return existing.map(id -> new Created(find(id).orElseThrow(), false));
    }

    /** One statement: the distinct matching sequences, oldest first, numbered from 1. */
    private int snapshotWithSql(UUID jobId, RetryJobRequest request) {
        MapSqlParameterSource params = new MapSqlParameterSource("job_id", jobId)
                .addValue("group", request.processingGroup())
                .addValue("max", request.maxSequences());
        StringBuilder letterFilter = new StringBuilder();
        if (request.causeType() != null) {
            letterFilter.append(" AND l.cause_type = :cause_type");
            params.addValue("cause_type", request.causeType());
        }
        if (request.payloadType() != null) {
            letterFilter.append(" AND l.payload_type = :payload_type");
            params.addValue("payload_type", request.payloadType());
        }
        if (request.from() != null) {
            letterFilter.append(" AND l.enqueued_at >= :from");
            params.addValue("from", time(request.from()));
        }
        if (request.to() != null) {
            letterFilter.append(" AND l.enqueued_at < :to");
            params.addValue("to", time(request.to()));
        }
        String matching = letterFilter.isEmpty() ? "" :
                " AND EXISTS (SELECT 1 FROM " + tables.storeLetter + " l WHERE l.processing_group = s.processing_group "
                        + "AND l.sequence_key = s.sequence_key" + letterFilter + ")";
        return jdbc.update(
                "INSERT INTO " + tables.sequence + " (job_id, position, sequence_key, outcome, redelivered, remaining) "
                        + "SELECT CAST(:job_id AS UUID), ROW_NUMBER() OVER (ORDER BY m.oldest_enqueued_at, "
                        + "m.sequence_key), m.sequence_key, 'PENDING', 0, 0 FROM (SELECT s.sequence_key, "
                        + "s.oldest_enqueued_at FROM " + tables.storeSequence + " s WHERE s.processing_group = :group"
                        + matching + " ORDER BY s.oldest_enqueued_at, s.sequence_key LIMIT :max) m",
                params);
    }

    /** Through the store's API: every sequence in key order, or the sequences of the matching letters, oldest first. */
    private int snapshotThroughStore(UUID jobId, RetryJobRequest request) {
        String group = request.processingGroup();
        int max = request.maxSequences();
        Set<String> keys = new LinkedHashSet<>();
        boolean unfiltered = request.causeType() == null && request.payloadType() == null && request.from() == null
                && request.to() == null;
        String cursor = null;
        if (unfiltered) {
            do {
                Page<SequenceSummary> page = store.sequences(group, SNAPSHOT_PAGE, cursor);
                for (SequenceSummary sequence : page.items()) {
                    if (keys.size() < max) {
                        keys.add(sequence.sequenceKey());
                    }
                }
                cursor = page.nextCursor();
            } while (cursor != null && keys.size() < max);
        } else {
            LetterFilter filter = new LetterFilter(null, request.causeType(), request.payloadType(), request.from(),
                                                   request.to());
            do {
                Page<StoredLetter> page = store.letters(group, filter, SNAPSHOT_PAGE, cursor);
                for (StoredLetter letter : page.items()) {
                    if (keys.size() < max) {
                        keys.add(letter.sequenceKey());
                    }
                }
                cursor = page.nextCursor();
            } while (cursor != null && keys.size() < max);
        }
        List<MapSqlParameterSource> rows = new ArrayList<>(keys.size());
        int position = 0;
        for (String key : keys) {
            rows.add(new MapSqlParameterSource("job_id", jobId).addValue("position", ++position)
                                                               .addValue("key", key));
        }
        if (!rows.isEmpty()) {
            jdbc.batchUpdate("INSERT INTO " + tables.sequence + " (job_id, position, sequence_key, outcome, "
                                     + "redelivered, remaining) VALUES (:job_id, :position, :key, 'PENDING', 0, 0)",
                             rows.toArray(MapSqlParameterSource[]::new));
        }
        return rows.size();
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
        List<RetryJob.SequenceOutcome> outcomes = jdbc.query(
                "SELECT sequence_key, outcome, redelivered, remaining, detail, finished_at FROM " + tables.sequence
                        + " WHERE job_id = :id ORDER BY position", params, RetryJobTables.OUTCOME_MAPPER);
        return jdbc.query("SELECT " + RetryJobTables.JOB_COLUMNS + " FROM " + tables.job + " WHERE job_id = :id",
                          params, (rs, i) -> RetryJobTables.job(rs, outcomes)).stream().findFirst();
    }

    /**
     * One page of a job's per-sequence outcomes, in processing order; for jobs too large to read with
     * {@link #find} in one go.
     *
     * @throws InvalidCursorException for a cursor this method did not hand out
     */
    public Page<RetryJob.SequenceOutcome> outcomes(UUID id, int limit, String cursor) {
        requirePositive(limit);
        MapSqlParameterSource params = new MapSqlParameterSource("id", id).addValue("limit", limit + 1)
                                                                          .addValue("after", 0);
        if (cursor != null) {
            String[] parts = decode(cursor, "S", 1);
            try {
                params.addValue("after", Integer.parseInt(parts[0]));
            } catch (NumberFormatException e) {
                throw new InvalidCursorException(cursor);
            }
        }
        List<Integer> positions = new ArrayList<>();
        List<RetryJob.SequenceOutcome> rows = jdbc.query(
                "SELECT position, sequence_key, outcome, redelivered, remaining, detail, finished_at FROM "
                        + tables.sequence + " WHERE job_id = :id AND position > :after ORDER BY position "
                        + "LIMIT :limit", params, (rs, i) -> {
                    positions.add(rs.getInt("position"));
                    return RetryJobTables.OUTCOME_MAPPER.mapRow(rs, i);
                });
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        return new Page<>(rows.subList(0, limit), encode("S", String.valueOf(positions.get(limit - 1))));
    }

    @Override
    public Page<RetryJob> list(int limit, String cursor) {
        requirePositive(limit);
        MapSqlParameterSource params = new MapSqlParameterSource("limit", limit + 1);
        String where = "";
        if (cursor != null) {
            String[] parts = decode(cursor, "J", 3);
            try {
                params.addValue("before_at", time(Instant.ofEpochSecond(Long.parseLong(parts[0]),
                                                                        Long.parseLong(parts[1]))))
                      .addValue("before_id", UUID.fromString(parts[2]));
            } catch (RuntimeException e) {
                throw new InvalidCursorException(cursor);
            }
            where = " WHERE (created_at, job_id) < (:before_at, :before_id)";
        }
        List<RetryJob> rows = jdbc.query("SELECT " + RetryJobTables.JOB_COLUMNS + " FROM " + tables.job + where
                                                 + " ORDER BY created_at DESC, job_id DESC LIMIT :limit",
                                         params, tables.jobMapper());
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        RetryJob last = rows.get(limit - 1);
        return new Page<>(rows.subList(0, limit), encode("J", last.createdAt().getEpochSecond() + "|"
                + last.createdAt().getNano() + "|" + last.id()));
    }

    @Override
    public Optional<RetryJob> activeJob(String processingGroup) {
        return runningJobId(processingGroup).flatMap(this::find);
    }

    private Optional<UUID> runningJobId(String processingGroup) {
        return jdbc.queryForList("SELECT job_id FROM " + tables.job + " WHERE running_group = :group",
                                 new MapSqlParameterSource("group", processingGroup), UUID.class)
                   .stream().findFirst();
    }

    // --- stop -----------------------------------------------------------------------------------------------------

    /**
     * Asks a running job to stop. When no node is running a batch of it right now (between batches, or its node's
     * lease expired), it is STOPPED at once; otherwise its node stops it after the current sequence. A finished job
     * is returned as it is. The stop request is audited with {@code actor}.
     */
    @Override
    public Optional<RetryJob> stop(UUID id, String actor) {
        Objects.requireNonNull(id, "id");
        String stoppedBy = RetryJobTables.truncate(actor, MAX_ACTOR_LENGTH);
        return inTransaction.execute(status -> {
            Instant now = RetryJobTables.now(clock);
            MapSqlParameterSource params = new MapSqlParameterSource("id", id).addValue("now", time(now));
            int requested = jdbc.update("UPDATE " + tables.job + " SET stop_requested = TRUE, updated_at = :now "
                                                + "WHERE job_id = :id AND state = 'RUNNING' AND stop_requested = FALSE",
                                        params);
            if (requested == 0) {
                return find(id);
            }
            // The row is locked by the update above, so no runner can claim it between these two statements.
            int stopped = jdbc.update("UPDATE " + tables.job + " SET state = 'STOPPED', running_group = NULL, "
                                              + "owner = NULL, lease_until = NULL WHERE job_id = :id "
                                              + "AND state = 'RUNNING' AND (owner IS NULL OR lease_until < :now)",
                                      params);
            RetryJob job = find(id).orElseThrow();
            audit.stopRequested(job, stoppedBy, stopped > 0);
            if (stopped > 0) {
                audit.finished(job);
            }
            return Optional.of(job);
        });
    }

    // --- cursors --------------------------------------------------------------------------------------------------

    private static String encode(String kind, String plain) {
        return Base64.getUrlEncoder().withoutPadding()
                     .encodeToString((kind + "|" + plain).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decode(String cursor, String kind, int parts) {
        String plain;
        try {
            plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(cursor);
        }
        String[] split = plain.split("\\|", parts + 1);
        if (split.length != parts + 1 || !split[0].equals(kind)) {
            throw new InvalidCursorException(cursor);
        }
        String[] result = new String[parts];
        System.arraycopy(split, 1, result, 0, parts);
        return result;
    }

    private static void requirePositive(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
    }
}
