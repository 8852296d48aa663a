package io.axondlq.core.jobs;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.jobs.RetryJobProgress.ClaimedJob;
import io.axondlq.core.jobs.RetryJobProgress.Counter;
import io.axondlq.core.jobs.RetryJobProgress.PendingSequence;
import io.axondlq.core.jobs.RetryJobProgress.Recorded;
import io.axondlq.core.jobs.RetryJobProgress.SequenceResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Runs bulk retry jobs, as one kind of work of the node's {@link JobWorker}. Every node runs one; each batch of a job
 * runs on exactly one node, the holder of the job's lease ({@link Leases}, on the database clock).
 * <p>
 * Every poll interval the runner looks for running jobs that are due (their cooldown is over, or a stop was asked)
 * and whose lease is free or expired, and claims each (its lease, then the job). For a claimed job it redelivers
 * the next {@code batchSize} PENDING sequences of its snapshot, in order, one at a time, recording each outcome and
 * renewing the lease in one transaction per sequence; the worker's heartbeat renews the lease while a long sequence
 * is being redelivered. After the batch the lease is given back and the next batch is due after the cooldown, on whichever
 * node claims it. Everything is in the database, so a job resumes after a restart; a node that dies mid-batch stops
 * renewing, and another node takes the job over once the lease has expired.
 * <p>
 * Outcomes: DRAINED counts as succeeded; FAILED, UNREADABLE and LEASE_LOST as failed; NOT_FOUND (already gone) as
 * skipped. A sequence that another node is redelivering stays PENDING and is tried again in a later batch: after a
 * takeover its holder is often the node the job was taken from, and that node's outcome is recorded when it commits
 * (a node that lost the job's lease still records what it did to the sequence it was on, once, while the job runs).
 * Jobs of earlier versions may hold CLAIMED (skipped) outcomes. When the node's worker stops, the sequence in progress
 * ends after its current letter (see {@link Redelivery#redeliver(String, String, BooleanSupplier)}), stays PENDING and
 * the job is given back, so the restart or another node goes on with the letters left. The job is COMPLETED when no
 * PENDING sequence is left, STOPPED after the sequence during which a stop was asked, and FAILED (with the error) when something
 * unexpected, such as a database error or an {@link Error}, breaks a batch. A group that does not run with axon-dlq
 * on this node, or whose processor is not running here ({@link Redelivery}), is left to the other nodes. Every letter (through the {@link Redelivery}, in its own transaction),
 * every sequence and every end of a job is audited as the {@link #SYSTEM_ACTOR}, in the transaction that records it.
 */
public class RetryJobRunner implements BackgroundJob {

    /** The audit actor of what the runner and the automatic retry do. */
    public static final String SYSTEM_ACTOR = RetryJobAudit.SYSTEM_ACTOR;

    private static final Logger logger = LoggerFactory.getLogger(RetryJobRunner.class);
    private static final int CANDIDATES_PER_POLL = 20;
    private static final Duration UNAVAILABLE_GROUP_BACKOFF = Duration.ofSeconds(30);

    /**
     * Redelivers one whole sequence; {@code DeadLetterOperations#redeliverLettersWhereProcessorRuns} in production, so
     * that each letter is audited in its own transaction and a processor stopped on this node runs nothing.
     */
    @FunctionalInterface
    public interface Redelivery {

        /**
         * @throws SequenceClaimedException        when another node is redelivering the sequence
         * @throws UnknownProcessingGroupException when the group does not run with axon-dlq on this node, or its
         *                                         processor is not running here
         *                                         ({@link io.axondlq.core.redelivery.ProcessorNotRunningException})
         */
        RedeliveryResult redeliver(String processingGroup, String sequenceKey);

        /**
         * The redelivery the runner calls: {@code stopRequested} answers true once this node's worker is stopping, and
         * a redelivery that can end between letters then ends with
         * {@link io.axondlq.core.redelivery.RedeliveryResult.Outcome#LIMIT_REACHED} (the sequence stays PENDING for
         * the restart or another node). By default it is not asked, and the sequence is redelivered to its end.
         */
        default RedeliveryResult redeliver(String processingGroup, String sequenceKey,
                                           BooleanSupplier stopRequested) {
            return redeliver(processingGroup, sequenceKey);
        }

        /**
         * Production's redelivery: through {@code operations}, each letter audited in its own transaction as the
         * {@link #SYSTEM_ACTOR}, only where the group's processor runs on this node, ending between letters when the
         * worker stops.
         */
        static Redelivery whereProcessorRuns(DeadLetterOperations operations) {
            return new RedeliveryWhereProcessorRuns(operations);
        }
    }

    /**
     * @param lease        how long a claimed job is held without renewal; a dead node's job is taken over after it
     * @param pollInterval how often the runner looks for due jobs
     * @param stopTimeout  how long the worker's stop waits for the sequence being redelivered
     */
    public record Settings(Duration lease, Duration pollInterval, Duration stopTimeout) {

        public static final Settings DEFAULT =
                new Settings(Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(10));

        public Settings {
            JobChecks.lease(lease, "lease");
            JobChecks.positive(pollInterval, "pollInterval");
            JobChecks.notNegative(stopTimeout, "stopTimeout");
        }
    }

    /** The lease of the job being worked on; identity tells the heartbeat's answer for it from a later one's. */
    private static final class HeldLease {
        final UUID jobId;
        volatile boolean lost;

        HeldLease(UUID jobId) {
            this.jobId = jobId;
        }
    }

    private final RetryJobProgress progress;
    private final Redelivery redelivery;
    private final String owner;
    private final Settings settings;
    private final Clock clock;
    private final Map<String, Instant> unavailableGroups = new ConcurrentHashMap<>();
    private final AtomicReference<HeldLease> held = new AtomicReference<>();
    private volatile boolean running = true;

    /**
     * @param owner this node's worker in the job's lease ({@link JobWorker#ownerName})
     */
    public RetryJobRunner(RetryJobProgress progress, Redelivery redelivery, String owner, Settings settings,
                          Clock clock) {
        this.progress = Objects.requireNonNull(progress, "progress");
        this.redelivery = Objects.requireNonNull(redelivery, "redelivery");
        this.owner = JobChecks.owner(owner);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** This runner's name in the job's lease and {@code owner} column. */
    public String owner() {
        return owner;
    }

    public Settings settings() {
        return settings;
    }

    // --- worker ---------------------------------------------------------------------------------------------------

    @Override
    public String name() {
        return "Retry jobs [" + owner + "]";
    }

    @Override
    public Duration pollInterval() {
        return settings.pollInterval();
    }

    @Override
    public Duration heartbeatInterval() {
        return Duration.ofMillis(Math.max(1, settings.lease().toMillis() / 3));
    }

    @Override
    public void heartbeat() {
        renewHeldLease();
    }

    @Override
    public void starting() {
        running = true;
    }

    @Override
    public void stopping() {
        running = false;
    }

    @Override
    public int runOnce() {
        return pollOnce();
    }

    // --- work -----------------------------------------------------------------------------------------------------

    /** Runs one batch of every due job it can claim. @return the number of batches run */
    public int pollOnce() {
        int batches = 0;
        Instant now = now();
        for (RetryJobProgress.Candidate candidate : progress.candidates(now, CANDIDATES_PER_POLL)) {
            if (!running) {
                break;
            }
            Instant unavailableUntil = unavailableGroups.get(candidate.processingGroup());
            if (unavailableUntil != null && unavailableUntil.isAfter(now)) {
                continue;
            }
            if (runBatch(candidate.jobId())) {
                batches++;
            }
        }
        return batches;
    }

    /** @return whether this runner claimed the job */
    private boolean runBatch(UUID jobId) {
        Instant now = now();
        Optional<ClaimedJob> claimed = progress.claim(jobId, owner, now, settings.lease());
        if (claimed.isEmpty()) {
            return false;
        }
        ClaimedJob job = claimed.get();
        HeldLease lease = new HeldLease(jobId);
        held.set(lease);
        try {
            if (job.stopRequested()) {
                finish(job, RetryJob.State.STOPPED, null);
                return true;
            }
            for (PendingSequence sequence : progress.pending(jobId, job.batchSize())) {
                if (!running || lease.lost) {
                    progress.release(jobId, owner);
                    return true;
                }
                SequenceResult result;
                LatchedStop stopRequested = new LatchedStop(() -> !running);
                RedeliveryResult redelivered;
                try {
                    redelivered = redelivery.redeliver(job.processingGroup(), sequence.sequenceKey(), stopRequested);
                } catch (SequenceClaimedException e) {
                    // Left PENDING for a later batch: its holder may be the node this job was taken over from, still
                    // redelivering it, whose outcome then counts when it commits (RetryJobProgress#record); or an
                    // operator, after whom the job finds what is left of it.
                    logger.debug("Retry job [{}]: sequence [{}] is being redelivered elsewhere; tried again in a "
                                         + "later batch: {}", jobId, sequence.sequenceKey(), e.getMessage());
                    continue;
                } catch (UnknownProcessingGroupException e) {
                    unavailable(job, e);
                    progress.release(jobId, owner);
                    return true;
                }
                if (stopRequested.seen() && redelivered.outcome() == RedeliveryResult.Outcome.LIMIT_REACHED) {
                    // The node is stopping and the sequence ended between letters: neither failed nor done, so it
                    // stays PENDING, and the job goes back to whichever node (or restart) claims it next.
                    logger.info("Retry job [{}]: stopping after {} letter(s) of sequence [{}]; {} letter(s) left for "
                                        + "the next claim of the job", jobId, redelivered.redelivered(),
                                sequence.sequenceKey(), redelivered.remaining());
                    progress.release(jobId, owner);
                    return true;
                }
                result = result(redelivered);
                Instant recordedAt = now();
                Recorded recorded = progress.record(jobId, owner, sequence, result, job.batch(), recordedAt,
                                                    settings.lease());
                if (recorded == Recorded.LEASE_LOST) {
                    logger.warn("Retry job [{}] was taken over by another node (lease lost); this node stops "
                                        + "working on it", jobId);
                    return true;
                }
                if (recorded == Recorded.STOP_REQUESTED) {
                    finish(job, RetryJob.State.STOPPED, null);
                    return true;
                }
            }
            if (!progress.hasPending(jobId)) {
                finish(job, RetryJob.State.COMPLETED, null);
            } else {
                Instant end = now();
                progress.endBatch(jobId, owner, end, end.plusMillis(job.cooldownMs()));
            }
            return true;
        } catch (Throwable e) {
            // Errors too (a payload class whose initializer fails, a stack overflow): the job ends FAILED, with its
            // lease, rather than stay RUNNING and leased by a round that never comes back.
            logger.error("Retry job [{}] failed", jobId, e);
            try {
                finish(job, RetryJob.State.FAILED, e.getClass().getName() + ": " + e.getMessage());
            } catch (Throwable again) {
                // Probably the database itself; the lease expires and the job is resumed later.
                logger.warn("Could not mark retry job [{}] as failed: {}", jobId, again.toString());
            }
            return true;
        } finally {
            held.compareAndSet(lease, null);
        }
    }

    private void finish(ClaimedJob job, RetryJob.State state, String failure) {
        progress.finish(job.jobId(), owner, state, failure, now())
                .ifPresent(finished -> logger.info("Retry job [{}] of processing group [{}] {}: {} succeeded, "
                                                           + "{} failed, {} skipped, {} remaining", finished.id(),
                                                   finished.processingGroup(), state, finished.succeeded(),
                                                   finished.failed(), finished.skipped(), finished.remaining()));
    }

    private void unavailable(ClaimedJob job, UnknownProcessingGroupException why) {
        Instant until = now().plus(UNAVAILABLE_GROUP_BACKOFF);
        if (unavailableGroups.put(job.processingGroup(), until) == null) {
            logger.warn("Retry job [{}]: {}; leaving the job to other nodes", job.jobId(), why.getMessage());
        }
    }

    private void renewHeldLease() {
        HeldLease lease = held.get();
        if (lease == null) {
            return;
        }
        try {
            if (!progress.renew(lease.jobId, owner, settings.lease()) && held.get() == lease) {
                lease.lost = true;
            }
        } catch (RuntimeException e) {
            logger.warn("Could not renew the lease of retry job [{}]: {}", lease.jobId, e.toString());
        }
    }

    static SequenceResult result(RedeliveryResult result) {
        String detail = result.failureType() == null ? null
                : result.failureType() + (result.failureMessage() == null ? "" : ": " + result.failureMessage());
        String auditDetail = result.failureType();
        if (!result.droppedByUpcaster().isEmpty()) {
            detail = (detail == null ? result.outcome().name() : detail) + result.droppedByUpcasterDetail();
            auditDetail = (auditDetail == null ? result.outcome().name() : auditDetail)
                    + result.droppedByUpcasterDetail();
        }
        Counter counter = switch (result.outcome()) {
            case DRAINED -> Counter.SUCCEEDED;
            // LIMIT_REACHED: letters left; a job's redeliveries have no letter limit, and one that ended because the
            // node is stopping is not recorded (runBatch).
            case FAILED, UNREADABLE, LEASE_LOST, LIMIT_REACHED -> Counter.FAILED;
            case NOT_FOUND -> Counter.SKIPPED;
        };
        return new SequenceResult(result.outcome().name(), result.redelivered(), result.remaining(), detail, counter,
                                  auditDetail);
    }

    /** Database timestamps keep microseconds (PostgreSQL); so do ours, so that comparisons are exact. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
