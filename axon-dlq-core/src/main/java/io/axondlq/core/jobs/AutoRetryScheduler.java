package io.axondlq.core.jobs;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.AutomaticRetryState;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.DueSequence;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Automatic retry ({@code axon.dlq.auto-retry.*}): redelivers each parked sequence on a schedule keyed on how many
 * automatic retries it has had. Retry k (from 0) of a sequence is due once its last touch (when it was parked or last
 * failed, or when the last automatic retry ran) plus {@code schedule[k]} has passed by the database's clock (the
 * automatic retry and the sequence's last touch are recorded by it); a sequence that has had as many
 * automatic retries as the schedule has entries waits for an operator.
 * <p>
 * It is one kind of work of the node's {@link JobWorker}; every poll interval it looks at each processing group that has
 * parked sequences and runs with axon-dlq on this node. When a sequence of the group is due, the node takes the group's
 * lease ({@code auto-retry:<group>} in {@link Leases}, on the database clock), so one node at a time works on a group;
 * the holder renews it before every redelivery and, during a long one, as its letters go by, and keeps it until it
 * stops (or dies: then it expires). It then redelivers up to
 * {@code batchSize} due sequences, least recently touched first, each read as due just before its redelivery (a
 * sequence an operator redelivered meanwhile waits anew), through the redeliverer (so
 * {@code axon.dlq.redeliveries} counts them, and each letter gets its own audit entry in its transaction), and writes
 * one audit entry per automatic retry, as the actor {@value RetryJobAudit#SYSTEM_ACTOR}, with the outcome, in the
 * transaction that counts the retry: the one of the change that ends the redelivery (the last letter's removal, the
 * failed letter's requeue), or one of its own when the redelivery changed nothing (UNREADABLE, LEASE_LOST).
 * <p>
 * Retry counts are kept by the store ({@link DeadLetterStore#recordAutomaticRetry}), deleted with their sequence: a drained or evicted sequence leaves nothing behind, and a later sequence
 * with the same key starts the schedule anew. A sequence another node is redelivering is skipped this round; one gone
 * before its turn (NOT_FOUND: evicted or redelivered meanwhile) is neither audited nor counted; a failed
 * redelivery (FAILED, UNREADABLE) counts as a retry; a drained one removes the sequence; LEASE_LOST (another node took
 * the sequence over mid-way) does not count. When the node's worker stops, the sequence in progress ends after its
 * current letter ({@link Redelivery#redeliver(String, String, RedeliveryRecorder, BooleanSupplier)}): that retry is
 * neither counted nor audited, and the sequence stays due. Needs a store that keeps automatic-retry state (axon-dlq's JDBC store).
 */
public class AutoRetryScheduler implements BackgroundJob {

    /** Audit action of one automatic redelivery. */
    public static final String AUDIT_ACTION = RetryJobAudit.AUTO_RETRY;
    /** Prefix of the lease names; the processing group follows. */
    public static final String LEASE_PREFIX = "auto-retry:";

    private static final Logger logger = LoggerFactory.getLogger(AutoRetryScheduler.class);
    private static final Duration UNAVAILABLE_GROUP_BACKOFF = Duration.ofSeconds(30);

    /**
     * Redelivers one sequence with no letter limit; {@code DeadLetterOperations#redeliverLettersWhereProcessorRuns}
     * in production, so that each letter is audited in its own transaction and a processor stopped on this node runs
     * nothing.
     */
    @FunctionalInterface
    public interface Redelivery {

        /**
         * @param recorder hears each outcome in its transaction; its {@link RedeliveryRecorder#concluded} writes the
         *                 retry's count and audit entry with the change that ends the redelivery
         * @throws SequenceClaimedException        when another node is redelivering the sequence
         * @throws UnknownProcessingGroupException when the group does not run with axon-dlq on this node, or its
         *                                         processor is not running here
         *                                         ({@link io.axondlq.core.redelivery.ProcessorNotRunningException})
         */
        RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder);

        /**
         * The redelivery the scheduler calls: {@code stopRequested} answers true once this node's worker is stopping,
         * and a redelivery that can end between letters then ends with {@link RedeliveryResult.Outcome#LIMIT_REACHED};
         * such a retry is neither counted nor audited (the sequence stays due). By default it is not asked, and the
         * sequence is redelivered to its end.
         */
        default RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder,
                                           BooleanSupplier stopRequested) {
            return redeliver(processingGroup, sequenceKey, recorder);
        }

        /**
         * Production's redelivery: through {@code operations}, each letter audited in its own transaction as the
         * {@link RetryJobRunner#SYSTEM_ACTOR}, only where the group's processor runs on this node, ending between
         * letters when the worker stops.
         */
        static Redelivery whereProcessorRuns(DeadLetterOperations operations) {
            return new RedeliveryWhereProcessorRuns(operations);
        }
    }

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
            JobChecks.positive(pollInterval, "pollInterval");
            JobChecks.lease(lease, "lease");
            if (batchSize < 1) {
                throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
            }
        }

        /** The lease of a node that polls every {@code pollInterval}: three polls, at least {@code minimum}. */
        public static Duration leaseFor(Duration pollInterval, Duration minimum) {
            Duration threePolls = pollInterval.multipliedBy(3);
            return minimum != null && minimum.compareTo(threePolls) > 0 ? minimum : threePolls;
        }
    }

    private final DeadLetterStore store;
    private final Leases leases;
    private final TransactionTemplate inTransaction;
    private final Redelivery redelivery;
    private final Predicate<String> runsHere;
    private final RetryJobAudit audit;
    private final String owner;
    private final Settings settings;
    private final Clock clock;
    private final Set<String> heldLeases = ConcurrentHashMap.newKeySet();
    private final Map<String, Instant> unavailableGroups = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    /**
     * @param transactions the application's transaction manager: the retry count and its audit entry commit together
     * @param runsHere     whether a processing group runs with axon-dlq on this node (others are left to other nodes)
     * @param owner        this node's worker as the lease owner ({@link JobWorker#ownerName})
     */
    public AutoRetryScheduler(DeadLetterStore store, Leases leases, PlatformTransactionManager transactions,
                              Redelivery redelivery, Predicate<String> runsHere, RetryJobAudit audit,
                              String owner, Settings settings, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.leases = Objects.requireNonNull(leases, "leases");
        this.inTransaction = new TransactionTemplate(Objects.requireNonNull(transactions, "transactions"));
        this.inTransaction.setPropagationBehavior(TransactionDefinition.PROPAGATION_REQUIRES_NEW);
        this.redelivery = Objects.requireNonNull(redelivery, "redelivery");
        this.runsHere = Objects.requireNonNull(runsHere, "runsHere");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.owner = JobChecks.owner(owner);
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

    // --- worker ---------------------------------------------------------------------------------------------------

    @Override
    public String name() {
        return "Automatic retry [" + owner + "]";
    }

    @Override
    public Duration pollInterval() {
        return settings.pollInterval();
    }

    @Override
    public void starting() {
        stopping = false;
        logger.info("Automatic retry [{}] started: schedule {}, polling every {}", owner, settings.schedule(),
                    settings.pollInterval());
    }

    @Override
    public void stopping() {
        stopping = true;
    }

    @Override
    public void stopped() {
        releaseLeases();
    }

    @Override
    public int runOnce() {
        return pollOnce();
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

    /**
     * One round: renews the leases this scheduler holds, and for every group with due sequences that runs here and
     * whose lease this scheduler holds or can take, redelivers up to {@code batchSize} due sequences.
     *
     * @return the number of redeliveries run (skipped sequences, and sequences gone before their turn, not counted)
     */
    public int pollOnce() {
        int redeliveries = 0;
        List<String> groups = store.processingGroups();
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
            Instant now = now();
            Instant unavailableUntil = unavailableGroups.get(group);
            if (unavailableUntil != null && unavailableUntil.isAfter(now)) {
                continue;
            }
            if (!runsHere.test(group)) {
                continue;
            }
            // The holder renews its lease every poll, due work or not, so the group stays with one node.
            if (!heldLeases.contains(group) && due(group, 1).isEmpty()) {
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
        // The sequences this round has had its turn at (redelivered, skipped or broken): not again before next poll.
        Set<String> tried = new HashSet<>();
        while (tried.size() < settings.batchSize() && !stopping) {
            // Read before each sequence, after taking the lease: what the previous holder did is committed and
            // visible, and a sequence touched since the round began (an operator's failed redelivery restarts its
            // wait) is no longer due. At most tried.size() of the rows are tried ones: one row more finds the rest.
            Optional<DueSequence> next = due(group, tried.size() + 1).stream()
                                                                     .filter(d -> !tried.contains(d.sequenceKey()))
                                                                     .findFirst();
            if (next.isEmpty()) {
                break;
            }
            DueSequence due = next.get();
            tried.add(due.sequenceKey());
            if (!renewLease(group)) {
                logger.info("Automatic retry of [{}]: lease lost to another node; leaving the rest to it", group);
                break;
            }
            try {
                if (redeliver(group, due)) {
                    redeliveries++;
                }
            } catch (UnknownProcessingGroupException e) {
                unavailableGroups.put(group, now().plus(UNAVAILABLE_GROUP_BACKOFF));
                leases.release(leaseName(group), owner);
                heldLeases.remove(group);
                logger.warn("Automatic retry: {}; leaving processing group [{}] to other nodes", e.getMessage(),
                            group);
                break;
            }
        }
        return redeliveries;
    }

    /** @return whether a redelivery ran (not when the sequence was gone before it: nothing ran then) */
    private boolean redeliver(String group, DueSequence due) {
        int retry = due.retries() + 1;
        int scheduled = settings.schedule().size();
        RedeliveryResult result;
        // Writes the count and the audit entry in the transaction of the change that ends the redelivery (the last
        // letter's removal, the failed letter's requeue), so that they commit with it or not at all.
        boolean[] recorded = {false};
        // The group's lease was renewed just before (runGroup): a long sequence renews it as its letters go by.
        long[] renewedAt = {System.nanoTime()};
        RedeliveryRecorder recorder = new RedeliveryRecorder() {
            @Override
            public void redelivered(StoredLetter letter) {
                keepLease(group, renewedAt);
            }

            @Override
            public void dropped(StoredLetter letter) {
                keepLease(group, renewedAt);
            }

            @Override
            public void concluded(RedeliveryResult concluded) {
                record(group, due.sequenceKey(), retry, concluded);
                recorded[0] = true;
            }
        };
        LatchedStop stopRequested = new LatchedStop(() -> stopping);
        try {
            result = redelivery.redeliver(group, due.sequenceKey(), recorder, stopRequested);
        } catch (SequenceClaimedException e) {
            logger.debug("Automatic retry of [{}] [{}] skipped this round: {}", group, due.sequenceKey(),
                         e.getMessage());
            return false;
        } catch (UnknownProcessingGroupException e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Not the handler (its failures are results): the database, most likely, or an Error. Audited, not
            // counted, and the group's other due sequences still get their turn this round.
            logger.warn("Automatic retry {} of {} of [{}] [{}] failed", retry, scheduled, group, due.sequenceKey(), e);
            audit(group, due.sequenceKey(), retry, e.getClass().getName());
            return true;
        }
        if (result.outcome() == RedeliveryResult.Outcome.NOT_FOUND) {
            // Gone before its turn (an operator evicted or redelivered it, whose own audit entries say so): this
            // retry did nothing to it, so it records nothing and is no redelivery.
            logger.debug("Automatic retry of [{}] [{}]: the sequence is gone", group, due.sequenceKey());
            return false;
        }
        if (stopRequested.seen() && result.outcome() == RedeliveryResult.Outcome.LIMIT_REACHED) {
            // The node is stopping and the sequence ended between letters: no retry ran to its end, so none is
            // counted or audited (its letters were, one by one); the sequence stays due for the next poll anywhere.
            logger.info("Automatic retry {} of {} of [{}] [{}] stopped with the worker after {} letter(s); {} left",
                        retry, scheduled, group, due.sequenceKey(), result.redelivered(), result.remaining());
            return true;
        }
        if (!recorded[0]) {
            // Ended without a change of its own (UNREADABLE, LEASE_LOST): recorded in a transaction of its own, as
            // nothing else is to commit with it.
            try {
                inTransaction.executeWithoutResult(status -> record(group, due.sequenceKey(), retry, result));
            } catch (RuntimeException e) {
                logger.warn("Could not record automatic retry of [{}] [{}]: {}", group, due.sequenceKey(),
                            e.toString());
            }
        }
        return true;
    }

    /** Counts the retry when it counts and writes its audit entry, in the caller's transaction. */
    private void record(String group, String sequenceKey, int retry, RedeliveryResult result) {
        int scheduled = settings.schedule().size();
        String outcome;
        String detail = result.auditSummary();
        Counted counted = null;
        switch (result.outcome()) {
            case DRAINED -> outcome = "success"; // the sequence, and with it its state, is gone
            case FAILED, UNREADABLE -> {
                outcome = "failure";
                Duration next = retry < scheduled ? settings.schedule().get(retry) : null;
                counted = new Counted(retry, result.outcome().name(), next);
                if (next == null) {
                    detail += "; schedule exhausted after " + retry + " automatic retries: waits for an operator";
                    logger.warn("Automatic retry of [{}] [{}] exhausted its schedule ({} retries): the sequence "
                                        + "waits for an operator", group, sequenceKey, retry);
                } else {
                    detail += "; next automatic retry due " + next + " after this one";
                }
            }
            default -> outcome = "failure"; // LEASE_LOST: another node took the sequence over; not counted
        }
        if (counted != null && !store.recordAutomaticRetry(group, sequenceKey, counted.retries(), counted.outcome(),
                                                            counted.nextWait())) {
            logger.debug("Sequence [{}] of [{}] is gone; no automatic-retry state kept", sequenceKey, group);
        }
        audit.automaticRetry(group, sequenceKey, retry, scheduled, outcome, detail);
        logger.info("Automatic retry {} of {} of [{}] [{}]: {}", retry, scheduled, group, sequenceKey, detail);
    }

    /** A failed retry that counts: written with its audit entry, at the store's now (the database's clock). */
    private record Counted(int retries, String outcome, Duration nextWait) {
    }

    /** An automatic retry that broke before it had a result: audited in its own transaction, not counted. */
    private void audit(String group, String sequenceKey, int retry, String detail) {
        try {
            inTransaction.executeWithoutResult(status -> audit.automaticRetry(group, sequenceKey, retry,
                                                                             settings.schedule().size(), "failure",
                                                                             detail));
        } catch (RuntimeException e) {
            logger.warn("Could not record automatic retry of [{}] [{}]: {}", group, sequenceKey, e.toString());
        }
    }

    /**
     * Renews the group's lease while one sequence is redelivered, once a third of it has passed since the last
     * renewal, so that a sequence longer than the lease does not let another node start on the group. In the letter's
     * transaction: it commits with the letter. A lease lost meanwhile is noticed before the next sequence (the
     * sequence's own lease keeps its redelivery exclusive).
     */
    private void keepLease(String group, long[] renewedAt) {
        long now = System.nanoTime();
        if (now - renewedAt[0] < settings.lease().toNanos() / 3) {
            return;
        }
        renewedAt[0] = now;
        if (!leases.renew(leaseName(group), owner, settings.lease())) {
            logger.info("Automatic retry of [{}]: lease lost to another node during a sequence", group);
        }
    }

    private boolean renewLease(String group) {
        boolean held = leases.acquire(leaseName(group), owner, settings.lease());
        if (held) {
            heldLeases.add(group);
        } else {
            heldLeases.remove(group);
        }
        return held;
    }

    // --- state ----------------------------------------------------------------------------------------------------

    /**
     * The group's due sequences, least recently touched first, by the database's clock, the one the retries are
     * recorded by (see {@link DeadLetterStore#dueForAutomaticRetry}).
     */
    private List<DueSequence> due(String group, int limit) {
        return store.dueForAutomaticRetry(group, settings.schedule(), limit);
    }

    /** The automatic-retry state of a sequence; empty when it has had no automatic retry (or is gone). */
    public Optional<AutomaticRetryState> state(String processingGroup, String sequenceKey) {
        return store.automaticRetryState(processingGroup, sequenceKey);
    }

    /** This node's clock: only for its own back-off; due times are the database's (see {@link #due}). */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    @Override
    public String toString() {
        return "AutoRetryScheduler[" + owner + ", schedule " + settings.schedule() + "]";
    }
}
