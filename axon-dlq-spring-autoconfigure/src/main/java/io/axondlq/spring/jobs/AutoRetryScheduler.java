package io.axondlq.spring.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.audit.AuditLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;

import static io.axondlq.spring.jobs.RetryJobTables.time;

/**
 * Automatic retry ({@code axon.dlq.auto-retry.*}): redelivers each parked sequence on a schedule keyed on how many
 * automatic retries it has had. Retry k (from 0) of a sequence is due once its last touch (when it was parked or last
 * failed, or when the last automatic retry ran) plus {@code schedule[k]} has passed; a sequence that has had as many
 * automatic retries as the schedule has entries waits for an operator.
 * <p>
 * Every node runs a scheduler; every poll interval it looks at each processing group that has parked sequences and runs
 * with axon-dlq on this node. When a sequence of the group is due, the node takes the group's lease
 * ({@code auto-retry:<group>} in {@link SchedulerLease}), so one node at a time works on a group; the holder renews it
 * before every redelivery and keeps it until it stops (or dies: then it expires). It then redelivers up to
 * {@code batchSize} due sequences, least recently touched first, through the redeliverer (so
 * {@code axon.dlq.redeliveries} counts them), and writes one audit entry per redelivery, as the actor
 * {@value RetryJobRunner#SYSTEM_ACTOR}, with the outcome.
 * <p>
 * Retry counts live in {@code <prefix>auto_retry}, a row per sequence that has had automatic retries, deleted with its
 * sequence (foreign key, on delete cascade): a drained or evicted sequence leaves nothing behind, and a later sequence
 * with the same key starts the schedule anew. A sequence another node is redelivering is skipped this round; a failed
 * redelivery (FAILED, UNREADABLE) counts as a retry; a drained one removes the sequence; LEASE_LOST (another node took
 * the sequence over mid-way) does not count. Needs axon-dlq's JDBC store in the same database.
 */
public class AutoRetryScheduler implements SmartLifecycle {

    /** Audit action of one automatic redelivery. */
    public static final String AUDIT_ACTION = "auto-redeliver";
    /** Prefix of the lease names; the processing group follows. */
    public static final String LEASE_PREFIX = "auto-retry:";

    private static final Logger logger = LoggerFactory.getLogger(AutoRetryScheduler.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration UNAVAILABLE_GROUP_BACKOFF = Duration.ofSeconds(30);

    /**
     * @param schedule     waits before retry 1, 2, ... of a sequence, counted from its last touch; not empty
     * @param pollInterval how often the scheduler looks for due sequences
     * @param batchSize    most sequences of one group redelivered per poll
     * @param lease        how long a group's lease lasts without renewal
     */
    public record Settings(List<Duration> schedule, Duration pollInterval, int batchSize, Duration lease) {

        public Settings {
            Objects.requireNonNull(schedule, "schedule");
            if (schedule.isEmpty()) {
                throw new IllegalArgumentException("schedule must have at least one entry");
            }
            for (Duration wait : schedule) {
                if (wait == null || wait.isNegative()) {
                    throw new IllegalArgumentException("schedule entries must not be negative, was " + schedule);
                }
            }
            schedule = List.copyOf(schedule);
            requirePositive(pollInterval, "pollInterval");
            requirePositive(lease, "lease");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
            }
        }

        /** The lease of a node that polls every {@code pollInterval}: three polls, at least {@code minimum}. */
        public static Duration leaseFor(Duration pollInterval, Duration minimum) {
            Duration threePolls = pollInterval.multipliedBy(3);
            return minimum != null && minimum.compareTo(threePolls) > 0 ? minimum : threePolls;
        }

        private static void requirePositive(Duration value, String name) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + value);
            }
        }
    }

    /** A sequence's automatic-retry state: retries so far, the last one's time and outcome, the next due time. */
    public record SequenceState(String processingGroup, String sequenceKey, int retries, Instant lastRetryAt,
                                String lastOutcome, Instant nextAt) {
    }

    private record Due(String sequenceKey, int retries) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate inTransaction;
    private final String sequenceTable;
    private final String stateTable;
    private final SchedulerLease leases;
    private final RetryJobRunner.Redelivery redelivery;
    private final Predicate<String> runsHere;
    private final AuditLog audit;
    private final String owner;
    private final Settings settings;
    private final Clock clock;
    private final Set<String> heldLeases = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> unavailableGroups = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    private volatile boolean running;
    private volatile boolean stopping;
    private ScheduledExecutorService worker;

    /**
     * @param runsHere whether a processing group runs with axon-dlq on this node (others are left to other nodes)
     * @param nodeId   names this node as the lease owner; a random suffix keeps two schedulers of one node apart
     */
    public AutoRetryScheduler(DataSource dataSource, String tablePrefix, RetryJobRunner.Redelivery redelivery,
                              Predicate<String> runsHere, AuditLog audit, String nodeId, Settings settings,
                              Clock clock) {
        RetryJobTables tables = new RetryJobTables(tablePrefix);
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.inTransaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        this.inTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.sequenceTable = tables.storeSequence;
        this.stateTable = tablePrefix + "auto_retry";
        this.leases = new SchedulerLease(dataSource, tablePrefix);
        this.redelivery = Objects.requireNonNull(redelivery, "redelivery");
        this.runsHere = Objects.requireNonNull(runsHere, "runsHere");
        this.audit = Objects.requireNonNull(audit, "audit");
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("nodeId may not be null or blank");
        }
        this.owner = RetryJobTables.truncate(nodeId, 200) + "/" + UUID.randomUUID().toString().substring(0, 8);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** This scheduler's name as a lease owner. */
    public String owner() {
        return owner;
    }

    public Settings settings() {
        return settings;
    }

    public static String leaseName(String processingGroup) {
        return LEASE_PREFIX + processingGroup;
    }

    // --- lifecycle ------------------------------------------------------------------------------------------------

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (running) {
                return;
            }
            running = true;
            stopping = false;
            worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "axon-dlq-auto-retry");
                thread.setDaemon(true);
                return thread;
            });
            worker.scheduleWithFixedDelay(this::poll, 0, Math.max(1, settings.pollInterval().toMillis()),
                                          TimeUnit.MILLISECONDS);
            logger.info("Automatic retry [{}] started: schedule {}, polling every {}", owner, settings.schedule(),
                        settings.pollInterval());
        }
    }

    /** Stops polling, waits (up to 10 seconds) for the redelivery in progress, and gives the leases back. */
    @Override
    public void stop() {
        ScheduledExecutorService stopping;
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            running = false;
            this.stopping = true;
            stopping = worker;
        }
        stopping.shutdown();
        try {
            if (!stopping.awaitTermination(10, TimeUnit.SECONDS)) {
                logger.warn("Automatic retry [{}] stopped while a sequence was still being redelivered", owner);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        releaseLeases();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Gives up every lease this scheduler holds, so another node can take over at once. */
    public void releaseLeases() {
        for (String group : List.copyOf(heldLeases)) {
            try {
                leases.release(leaseName(group), owner);
            } catch (RuntimeException e) {
                logger.warn("Could not release the automatic-retry lease of [{}]: {}", group, e.toString());
            }
            heldLeases.remove(group);
        }
    }

    // --- work -----------------------------------------------------------------------------------------------------

    private void poll() {
        try {
            pollOnce();
        } catch (RuntimeException e) {
            // Database unavailable and the like: try again next time; never let the schedule die.
            logger.warn("Automatic retry poll failed: {}", e.toString());
        }
    }

    /**
     * One round: renews the leases this scheduler holds, and for every group with due sequences that runs here and
     * whose lease this scheduler holds or can take, redelivers up to {@code batchSize} due sequences.
     *
     * @return the number of redeliveries run (skipped sequences not counted)
     */
    public int pollOnce() {
        int redeliveries = 0;
        List<String> groups = groupsWithSequences();
        for (String group : List.copyOf(heldLeases)) {
            if (!groups.contains(group)) {
                // Nothing left to retry: let the lease go rather than renew it for nothing.
                leases.release(leaseName(group), owner);
                heldLeases.remove(group);
            }
        }
        for (String group : groups) {
            if (stopping) {
                break;
            }
            Instant now = RetryJobTables.now(clock);
            Instant unavailableUntil = unavailableGroups.get(group);
            if (unavailableUntil != null && unavailableUntil.isAfter(now)) {
                continue;
            }
            if (!runsHere.test(group)) {
                continue;
            }
            // The holder renews its lease every poll, due work or not, so the group stays with one node.
            if (!heldLeases.contains(group) && due(group, now, 1).isEmpty()) {
                continue;
            }
            if (!renewLease(group)) {
                logger.debug("Automatic retry of [{}] is done by another node", group);
                continue;
            }
            redeliveries += runGroup(group);
        }
        return redeliveries;
    }

    private int runGroup(String group) {
        int redeliveries = 0;
        // Read after taking the lease: what the previous holder did is committed and visible now.
        for (Due due : due(group, RetryJobTables.now(clock), settings.batchSize())) {
            if (stopping) {
                break;
            }
            if (!renewLease(group)) {
                logger.info("Automatic retry of [{}]: lease lost to another node; leaving the rest to it", group);
                break;
            }
            try {
                if (redeliver(group, due)) {
                    redeliveries++;
                }
            } catch (UnknownProcessingGroupException e) {
                unavailableGroups.put(group, RetryJobTables.now(clock).plus(UNAVAILABLE_GROUP_BACKOFF));
                leases.release(leaseName(group), owner);
                heldLeases.remove(group);
                logger.warn("Automatic retry: processing group [{}] does not run with axon-dlq on this node; "
                                    + "leaving it to other nodes", group);
                break;
            }
        }
        return redeliveries;
    }

    /** @return whether a redelivery ran */
    private boolean redeliver(String group, Due due) {
        int retry = due.retries() + 1;
        int scheduled = settings.schedule().size();
        RedeliveryResult result;
        try {
            result = redelivery.redeliver(group, due.sequenceKey());
        } catch (SequenceClaimedException e) {
            logger.debug("Automatic retry of [{}] [{}] skipped this round: {}", group, due.sequenceKey(),
                         e.getMessage());
            return false;
        } catch (UnknownProcessingGroupException e) {
            throw e;
        } catch (RuntimeException e) {
            // Not the handler (its failures are results): the database, most likely. Audited, not counted.
            logger.warn("Automatic retry {} of {} of [{}] [{}] failed: {}", retry, scheduled, group,
                        due.sequenceKey(), e.toString());
            audit(group, due.sequenceKey(), retry, "failure", e.getClass().getName() + ": " + e.getMessage());
            return true;
        }
        Instant now = RetryJobTables.now(clock);
        String outcome;
        String detail = describe(result);
        switch (result.outcome()) {
            case DRAINED, NOT_FOUND -> outcome = "success"; // the sequence, and with it its state, is gone
            case FAILED, UNREADABLE -> {
                outcome = "failure";
                Instant next = retry < scheduled ? now.plus(settings.schedule().get(retry)) : null;
                record(group, due.sequenceKey(), retry, now, result.outcome().name(), next);
                if (next == null) {
                    detail += "; schedule exhausted after " + retry + " automatic retries: waits for an operator";
                    logger.warn("Automatic retry of [{}] [{}] exhausted its schedule ({} retries): the sequence "
                                        + "waits for an operator", group, due.sequenceKey(), retry);
                } else {
                    detail += "; next automatic retry due after " + next;
                }
            }
            default -> outcome = "failure"; // LEASE_LOST: another node took the sequence over; not counted
        }
        audit(group, due.sequenceKey(), retry, outcome, detail);
        logger.info("Automatic retry {} of {} of [{}] [{}]: {}", retry, scheduled, group, due.sequenceKey(), detail);
        return true;
    }

    private void audit(String group, String sequenceKey, int retry, String outcome, String detail) {
        ObjectNode parameters = JSON.createObjectNode()
                                    .put("processingGroup", group)
                                    .put("sequenceKey", sequenceKey)
                                    .put("retry", retry)
                                    .put("scheduledRetries", settings.schedule().size());
        try {
            audit.record(RetryJobRunner.SYSTEM_ACTOR, AUDIT_ACTION, group, sequenceKey, parameters.toString(), outcome,
                         detail);
        } catch (RuntimeException e) {
            logger.warn("Could not audit automatic retry of [{}] [{}]: {}", group, sequenceKey, e.toString());
        }
    }

    private boolean renewLease(String group) {
        Instant now = RetryJobTables.now(clock);
        boolean held = leases.acquire(leaseName(group), owner, now, now.plus(settings.lease()));
        if (held) {
            heldLeases.add(group);
        } else {
            heldLeases.remove(group);
        }
        return held;
    }

    // --- state ----------------------------------------------------------------------------------------------------

    private List<String> groupsWithSequences() {
        return jdbc.queryForList("SELECT DISTINCT processing_group FROM " + sequenceTable
                                         + " ORDER BY processing_group", new MapSqlParameterSource(), String.class);
    }

    /**
     * The group's due sequences, least recently touched first: not leased by a redelivery, fewer automatic retries than
     * the schedule has entries, and last touched (or last retried) at least {@code schedule[retries]} ago.
     */
    private List<Due> due(String group, Instant now, int limit) {
        MapSqlParameterSource params = new MapSqlParameterSource("group", group)
                .addValue("now", time(now))
                .addValue("limit", limit)
                .addValue("scheduled", settings.schedule().size());
        StringBuilder due = new StringBuilder();
        String retries = "COALESCE(a.retries, 0)";
        String base = "GREATEST(s.last_touched, COALESCE(a.last_retry_at, s.last_touched))";
        for (int k = 0; k < settings.schedule().size(); k++) {
            due.append(k == 0 ? "" : " OR ").append('(').append(retries).append(" = ").append(k).append(" AND ")
               .append(base).append(" <= :cut").append(k).append(')');
            params.addValue("cut" + k, time(now.minus(settings.schedule().get(k))));
        }
        return jdbc.query("SELECT s.sequence_key, " + retries + " AS retries FROM " + sequenceTable + " s LEFT JOIN "
                                  + stateTable + " a ON a.processing_group = s.processing_group "
                                  + "AND a.sequence_key = s.sequence_key WHERE s.processing_group = :group "
                                  + "AND " + retries + " < :scheduled "
                                  + "AND (s.claim_owner IS NULL OR s.claim_until < :now) AND (" + due + ") "
                                  + "ORDER BY s.last_touched, s.sequence_key LIMIT :limit",
                          params, (rs, i) -> new Due(rs.getString("sequence_key"), rs.getInt("retries")));
    }

    /** Writes a counted retry; nothing when the sequence is gone meanwhile (the foreign key refuses the row). */
    private void record(String group, String sequenceKey, int retries, Instant at, String outcome, Instant next) {
        MapSqlParameterSource params = new MapSqlParameterSource("group", group)
                .addValue("key", sequenceKey)
                .addValue("retries", retries)
                .addValue("at", time(at))
                .addValue("outcome", outcome);
        if (next == null) {
            params.addValue("next", null, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            params.addValue("next", time(next));
        }
        try {
            inTransaction.executeWithoutResult(status -> {
                int updated = jdbc.update("UPDATE " + stateTable + " SET retries = :retries, last_retry_at = :at, "
                                                  + "last_outcome = :outcome, next_at = :next "
                                                  + "WHERE processing_group = :group AND sequence_key = :key", params);
                if (updated == 0) {
                    jdbc.update("INSERT INTO " + stateTable + " (processing_group, sequence_key, retries, "
                                        + "last_retry_at, last_outcome, next_at) VALUES (:group, :key, :retries, :at, "
                                        + ":outcome, :next)", params);
                }
            });
        } catch (DataIntegrityViolationException e) {
            logger.debug("Sequence [{}] of [{}] is gone; no automatic-retry state kept: {}", sequenceKey, group,
                         e.getMessage());
        }
    }

    /** The automatic-retry state of a sequence; empty when it has had no automatic retry (or is gone). */
    public Optional<SequenceState> state(String processingGroup, String sequenceKey) {
        return jdbc.query("SELECT * FROM " + stateTable + " WHERE processing_group = :group AND sequence_key = :key",
                          new MapSqlParameterSource("group", processingGroup).addValue("key", sequenceKey),
                          (rs, i) -> new SequenceState(rs.getString("processing_group"), rs.getString("sequence_key"),
                                                       rs.getInt("retries"),
                                                       RetryJobTables.instant(rs, "last_retry_at"),
                                                       rs.getString("last_outcome"),
                                                       RetryJobTables.instant(rs, "next_at")))
                   .stream().findFirst();
    }

    private static String describe(RedeliveryResult result) {
        StringBuilder detail = new StringBuilder(result.outcome().name())
                .append(": redelivered ").append(result.redelivered())
                .append(", remaining ").append(result.remaining());
        if (result.failureType() != null) {
            detail.append("; ").append(result.failureType()).append(": ").append(result.failureMessage());
        }
        return detail.toString();
    }

    @Override
    public String toString() {
        return "AutoRetryScheduler[" + owner + ", schedule " + settings.schedule() + "]";
    }
}
