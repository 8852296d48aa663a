package io.axondlq.core;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.retry.RetryDecision;
import io.axondlq.core.retry.RetryPolicy;
import io.axondlq.core.store.AppendOutcome;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.EnqueueOutcome;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.AfterCommit;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Wraps one processing group's event handlers with retries, isolation and sequence parking.
 * <p>
 * Per event: if its sequence is parked, the event is appended to the dead-letter queue unhandled, at its own
 * position in the batch (one statement). Otherwise the handlers run; a failure is undone and the {@link RetryPolicy}
 * decides: retry after a backoff, skip, or dead-letter the event (with its attempt history) in the same transaction
 * as the token update. A failure is anything a handler throws, {@link Error}s included (a {@link StackOverflowError}
 * too), except those that say the JVM itself is in trouble ({@link #isEventFailure}): those fail the batch.
 * <p>
 * Whether a sequence is parked is answered from a per-segment set of keys, loaded in one query the first time the
 * segment is handled after this node claimed or released any segment of the processor ({@link
 * DeadLetteringProcessorInvoker} drops the sets then): unparked sequences cost no SQL. A stale "parked" answer is
 * harmless: the append statement itself checks that the sequence still exists, and the event is handled live when
 * it does not.
 * <p>
 * How a failure is undone depends on the transaction the processor runs its batch in:
 * <ul>
 * <li><b>A transaction with savepoints, {@link Isolation#CHECKPOINT}</b> (default): the processor-level {@link
 * DeadLetteringProcessorInvoker} takes one savepoint per batch; a failure rolls back to it, the batch's events since
 * it are re-run, and only the failing event gets a savepoint per attempt. No per-event cost on the happy path.</li>
 * <li><b>A transaction with savepoints, {@link Isolation#SAVEPOINT_PER_ATTEMPT}</b>: every attempt runs in its own
 * savepoint; nothing is ever re-run, at two round trips per event.</li>
 * <li><b>A transaction without savepoints</b> ({@link Savepoints#NONE}, or a transaction the savepoints cannot
 * reach): a failure is rethrown so the processor rolls the whole batch back and replays it (its error handler must
 * propagate, which the module enforces); attempts are counted per event in memory and the event is dead-lettered,
 * without invoking its handlers again, once the policy gives up.</li>
 * <li><b>No transaction at all</b> (Axon's {@code NoTransactionManager}, see {@link Builder#transactional}): there
 * is nothing to roll back, so failures are retried in place and the event is dead-lettered (in a short transaction
 * of the store's own) once the policy gives up. Whatever a failed attempt wrote and its storage committed stays, so
 * handlers must be idempotent or write nothing before they can fail.</li>
 * </ul>
 */
public class DeadLetteringEventHandlerInvoker extends SimpleEventHandlerInvoker {

    /** Unit-of-work resource holding the processing group whose handlers are running. */
    public static final String PROCESSING_GROUP_RESOURCE = "axon-dlq.processingGroup";
    private static final int MAX_TRACKED_FAILURES = 10_000;
    /** How often a retry back-off looks whether the processor is stopping. */
    private static final long STOP_CHECK_INTERVAL_MS = 50;
    private static final Duration MAX_WAIT = Duration.ofNanos(Long.MAX_VALUE);
    private static final Logger logger = LoggerFactory.getLogger(DeadLetteringEventHandlerInvoker.class);

    private final String processingGroup;
    private final DeadLetterStore store;
    private final RetryPolicy retryPolicy;
    private final Savepoints savepoints;
    private final DeadLetterObserver observer;
    private final boolean clearOnReset;
    private final String nodeId;
    private final Isolation isolation;
    private final boolean transactional;
    /**
     * Per segment: parked sequence key → the {@link #marks mark} at which this node learned it is parked. The mark
     * lets a redelivery drop exactly the entries it may have drained (see {@link #sequenceDrained(String, long)}).
     */
    private final Map<Segment, Map<String, Long>> parkedBySegment = new ConcurrentHashMap<>();
    private final AtomicLong marks = new AtomicLong();
    /**
     * Without savepoints: failures of a batch the processor rolled back, found again when it replays the batch. By
     * event identifier, then by {@link BatchOrdinal} (events an upcaster made of one stored event share the
     * identifier); looked up by identifier first so that an event with no failure kept costs one map lookup.
     */
    private final Map<String, Map<Integer, KeptFailure>> failuresAwaitingReplay =
            Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Map<Integer, KeptFailure>> eldest) {
                    return size() > MAX_TRACKED_FAILURES;
                }
            });

    /** Whether the processor running this invoker is stopping: a retry back-off ends then (see {@link #stopWhen}). */
    private volatile BooleanSupplier stopping = () -> false;

    protected DeadLetteringEventHandlerInvoker(Builder builder) {
        super(builder);
        this.processingGroup = builder.processingGroup;
        this.store = builder.store;
        this.retryPolicy = builder.retryPolicy;
        this.savepoints = builder.savepoints;
        this.observer = builder.observer;
        this.clearOnReset = builder.clearOnReset;
        this.nodeId = builder.nodeId;
        this.isolation = builder.isolation;
        this.transactional = builder.transactional;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String processingGroup() {
        return processingGroup;
    }

    public DeadLetterStore store() {
        return store;
    }

    public Isolation isolation() {
        return isolation;
    }

    /**
     * Tells the invoker when its processor is stopping (its {@code isRunning()} turned false): a retry back-off then
     * ends at once and the batch fails, so that the processor stops without waiting for the rest of the event's retry
     * chain and without dead-lettering it on the way out; the event is handled again after the restart.
     */
    public void stopWhen(BooleanSupplier stopping) {
        this.stopping = Objects.requireNonNull(stopping, "stopping");
    }

    @Override
    public void handle(EventMessage<?> message, Segment segment) throws Exception {
        // The sequencing policy runs once per event: the segment check reuses its answer.
        Object sequenceIdentifier = sequenceIdentifier(message);
        if (!segment.matches(Objects.hashCode(sequenceIdentifier))) {
            return;
        }
        if (sequenceIdentifier instanceof UnsequencedEvent unsequenced) {
            deadLetterUnsequenced(unsequenced, message, segment);
            return;
        }
        String key = store.sequenceKey(sequenceIdentifier);
        Map<String, Long> parked = parkedKeys(segment);
        CheckpointBatch batch = CheckpointBatch.current();
        boolean defers = batch != null && batch.defersAppends();
        if (defers && batch.hasDeferred(this, key)) {
            // Behind a deferred follower of its sequence, whatever the parked set says now.
            batch.defer(this, new CheckpointBatch.Follower(message, segment, sequenceIdentifier, key));
            return;
        }
        if (parked.containsKey(key)) {
            if (defers) {
                batch.defer(this, new CheckpointBatch.Follower(message, segment, sequenceIdentifier, key));
                return;
            }
            if (park(sequenceIdentifier, message)) {
                return;
            }
            // Drained since this node learned it was parked: handled live, here, at its own position.
            parked.remove(key);
        }
        handleLive(batch, sequenceIdentifier, key, message, segment);
    }

    /**
     * The sequencing policy's answer, or an {@link UnsequencedEvent} when the policy throws: Axon asks this for every
     * segment check ({@code canHandle}) as well as here, and a policy that throws there fails the batch on every
     * replay.
     */
    @Override
    protected Object sequenceIdentifier(EventMessage<?> event) {
        try {
            return super.sequenceIdentifier(event);
        } catch (Exception | Error failure) {
            if (!isEventFailure(failure)) {
                throw failure;
            }
            return new UnsequencedEvent(event.getIdentifier(), failure);
        }
    }

    /** Its order with respect to other events cannot be known: a letter of its own, for an operator to decide. */
    private void deadLetterUnsequenced(UnsequencedEvent unsequenced, EventMessage<?> message, Segment segment) {
        Throwable failure = unsequenced.policyFailure();
        logger.error("Processing group [{}]: the sequencing policy failed for event [{}]; it is dead-lettered as a "
                             + "sequence of its own", processingGroup, message.getIdentifier(), failure);
        String identifier = unsequenced.eventIdentifier();
        conclude(RetryDecision.deadLetter(), identifier, store.sequenceKey(identifier), message, segment, failure,
                 List.of(AttemptRecord.of(1, GenericDeadLetter.clock.instant(), nodeId, failure)));
    }

    private Map<String, Long> parkedKeys(Segment segment) {
        return parkedBySegment.computeIfAbsent(segment, s -> {
            // Newer than every drain mark taken so far: a set loaded after a drain committed may hold the sequence
            // started anew since (on another node, while the segment was away), which that drain must not drop.
            long mark = marks.incrementAndGet();
            Map<String, Long> keys = new ConcurrentHashMap<>();
            store.parkedSequenceKeys(processingGroup, s.getSegmentId(), s.getMask()).forEach(k -> keys.put(k, mark));
            return keys;
        });
    }

    /** Forgets the parked sets of the segments {@code which} selects (see {@link DeadLetteringProcessorInvoker}). */
    void forgetParkedSets(Predicate<Segment> which) {
        parkedBySegment.keySet().removeIf(which);
    }

    // --- parking ------------------------------------------------------------------------------------------------

    /** @return whether the event now waits behind its sequence; false when the sequence is no longer parked */
    private boolean park(Object sequenceIdentifier, EventMessage<?> message) {
        AppendOutcome appended;
        try {
            appended = store.appendToParked(processingGroup,
                                            List.of(LetterDraft.parked(sequenceIdentifier, message)))[0];
        } catch (DeadLetterQueueOverflowException e) {
            observer.overflowed(processingGroup, message);
            logger.error("Dead-letter queue of processing group [{}] is full; the batch will be retried and the "
                                 + "segment stalls until letters are redelivered or evicted: {}",
                         processingGroup, e.getMessage());
            throw e;
        }
        // An event that is a letter already (Axon delivered it again) was counted when it was stored.
        if (appended == AppendOutcome.APPENDED) {
            report(() -> observer.parked(processingGroup, message));
        }
        return appended.inQueue();
    }

    /**
     * Appends followers a checkpointed batch deferred, in one statement.
     *
     * @return those whose sequence was no longer parked (a redelivery drained it meanwhile), in order, with their
     * parked-set entries dropped: the caller must handle them live
     */
    List<CheckpointBatch.Follower> appendDeferred(List<CheckpointBatch.Follower> followers) {
        List<LetterDraft> drafts = followers.stream()
                                            .map(f -> LetterDraft.parked(f.sequenceIdentifier(), f.message()))
                                            .toList();
        AppendOutcome[] appended;
        try {
            appended = store.appendToParked(processingGroup, drafts);
        } catch (DeadLetterQueueOverflowException e) {
            observer.overflowed(processingGroup, followers.get(0).message());
            logger.error("Dead-letter queue of processing group [{}] is full; the batch will be retried and the "
                                 + "segment stalls until letters are redelivered or evicted: {}",
                         processingGroup, e.getMessage());
            throw e;
        }
        List<CheckpointBatch.Follower> drained = new ArrayList<>();
        for (int i = 0; i < appended.length; i++) {
            CheckpointBatch.Follower follower = followers.get(i);
            if (appended[i] == AppendOutcome.APPENDED) {
                report(() -> observer.parked(processingGroup, follower.message()));
            } else if (appended[i] == AppendOutcome.NOT_PARKED) {
                parkedKeys(follower.segment()).remove(follower.key());
                drained.add(follower);
            }
        }
        return drained;
    }

    /**
     * Tells the observer about what the batch's transaction holds (a letter, a parked event, a skip): once the batch
     * commits, never for a batch (or a checkpoint) that rolls back and is run again, so that each is counted once (see
     * {@link CheckpointBatch}). Without a transaction, at once: nothing is undone then.
     */
    private void report(Runnable notification) {
        CheckpointBatch batch = CheckpointBatch.current();
        if (batch != null) {
            batch.report(notification);
        } else if (transactional && CurrentUnitOfWork.isStarted()) {
            CurrentUnitOfWork.get().root().afterCommit(u -> notification.run());
        } else {
            notification.run();
        }
    }

    // --- live handling ------------------------------------------------------------------------------------------

    private void handleLive(CheckpointBatch batch, Object sequenceIdentifier, String key, EventMessage<?> message,
                            Segment segment) throws Exception {
        if (batch != null && batch.checkpointed()) {
            runAfterCheckpoint(batch, message);
            return;
        }
        boolean isolating = batch != null && batch.isolating();
        AttemptState earlier = isolating
                ? batch.takeFirstFailure(processingGroup, message)
                : takeFailureAwaitingReplay(message);
        if (earlier != null && earlier.decision().action() != RetryDecision.Action.RETRY) {
            // The policy gave up on an earlier attempt: act without invoking the handlers again.
            conclude(earlier.decision(), sequenceIdentifier, key, message, segment, earlier.lastFailure(),
                     earlier.history());
            return;
        }
        List<AttemptRecord> history = new ArrayList<>();
        if (earlier != null) {
            if (isolating) {
                // The checkpointed first attempt reported nothing: the rollback could have discarded it.
                observer.retried(processingGroup, message, earlier.lastFailure(), earlier.history().size());
            }
            history.addAll(earlier.history());
            backOff(message, earlier.decision().delay());
        }
        while (true) {
            Savepoints.Savepoint savepoint = transactional ? savepoints.create() : null;
            PublicationMark publications = PublicationMark.take();
            try {
                invokeTagged(message);
                if (savepoint != null && !isolating) {
                    savepoint.release();
                } else if (savepoint != null) {
                    // An isolated event leaves its savepoint to the commit (the next checkpoint follows anyway),
                    // but what it wrote must reach the database inside this attempt.
                    savepoints.synchronize();
                }
                return;
            } catch (Exception | Error failure) {
                if (!isEventFailure(failure)) {
                    throw failure;
                }
                int attempt = history.size() + 1;
                history.add(AttemptRecord.of(attempt, GenericDeadLetter.clock.instant(), nodeId, failure));
                RetryDecision decision = retryPolicy.decide(message, failure, attempt);
                if (savepoint == null && transactional) {
                    // This attempt's writes cannot be undone here: the processor rolls back and replays the batch,
                    // and the replay finds this record.
                    keepForReplay(message, new AttemptState(List.copyOf(history), decision, failure));
                    if (decision.action() == RetryDecision.Action.RETRY) {
                        observer.retried(processingGroup, message, failure, attempt);
                    }
                    // The processor replays a batch that failed with an exception; on an Error its tracking
                    // processor would stop and its pooled processor's work package stall.
                    if (failure instanceof Error error) {
                        throw new HandlerErrorException(error);
                    }
                    throw failure;
                }
                if (savepoint != null) {
                    savepoint.rollback();
                }
                // Events the attempt queued for publication go with it (without a transaction, only those).
                publications.restore();
                // Without a transaction nothing else can be undone: retry (or give up) in place.
                if (decision.action() != RetryDecision.Action.RETRY) {
                    conclude(decision, sequenceIdentifier, key, message, segment, failure, history);
                    return;
                }
                observer.retried(processingGroup, message, failure, attempt);
                backOff(message, decision.delay());
            }
        }
    }

    /**
     * First attempt in a checkpointed batch: no savepoint. A failure is recorded for the isolation that follows and
     * reported to the processor invoker, which undoes the batch since its checkpoint and comes back in
     * {@link CheckpointBatch.Phase#ISOLATE}.
     */
    private void runAfterCheckpoint(CheckpointBatch batch, EventMessage<?> message) throws Exception {
        try {
            invokeTagged(message);
            savepoints.synchronize();
        } catch (Exception | Error failure) {
            if (!isEventFailure(failure)) {
                throw failure;
            }
            List<AttemptRecord> history =
                    List.of(AttemptRecord.of(1, GenericDeadLetter.clock.instant(), nodeId, failure));
            RetryDecision decision = retryPolicy.decide(message, failure, 1);
            // Reported by the isolation that follows (a retry) or by its conclusion.
            batch.firstFailure(processingGroup, message, new AttemptState(history, decision, failure));
            throw new IsolationRequiredException(failure);
        }
    }

    /**
     * Whether what a handler threw is the event's failure, for the retry policy and the dead-letter queue: every
     * exception, and every {@link Error} but the {@link VirtualMachineError}s that say the JVM itself is in trouble.
     * An Error is often the event's doing ({@link AssertionError}, a {@link LinkageError} such as
     * {@link NoClassDefFoundError} or {@link ExceptionInInitializerError} for its payload's class), and
     * {@link StackOverflowError}, a VirtualMachineError, is the typical poison event (a payload nested too deeply
     * for a recursive handler) and leaves the JVM sound once the stack unwinds. {@link OutOfMemoryError},
     * {@link InternalError} and {@link UnknownError} are not: any event could have hit them, dead-lettering it
     * would park a healthy sequence, and the retries and the letter's insert need the JVM they report broken. They
     * propagate and fail the batch, as before.
     */
    static boolean isEventFailure(Throwable thrown) {
        return !(thrown instanceof VirtualMachineError) || thrown instanceof StackOverflowError;
    }

    private void keepForReplay(EventMessage<?> message, AttemptState state) {
        int ordinal = BatchOrdinal.of(message);
        synchronized (failuresAwaitingReplay) {
            failuresAwaitingReplay.computeIfAbsent(message.getIdentifier(), id -> new HashMap<>())
                                  .put(ordinal, new KeptFailure(state, ReplayToken.isReplay(message)));
        }
    }

    private AttemptState takeFailureAwaitingReplay(EventMessage<?> message) {
        synchronized (failuresAwaitingReplay) {
            Map<Integer, KeptFailure> byOrdinal = failuresAwaitingReplay.get(message.getIdentifier());
            if (byOrdinal == null) {
                return null;
            }
            KeptFailure kept = byOrdinal.remove(BatchOrdinal.of(message));
            if (byOrdinal.isEmpty()) {
                failuresAwaitingReplay.remove(message.getIdentifier());
            }
            // A live failure meeting its event in a replay: another node reset the tokens meanwhile (a reset here
            // clears them), and the replay is a new run of the event, not the processor's retry of that batch.
            return kept == null || kept.deliveredInReplay() != ReplayToken.isReplay(message) ? null : kept.state();
        }
    }

    private void conclude(RetryDecision decision, Object sequenceIdentifier, String key, EventMessage<?> message,
                          Segment segment, Throwable failure, List<AttemptRecord> history) {
        if (decision.action() == RetryDecision.Action.SKIP) {
            logger.warn("Processing group [{}] skips event [{}] after {} failed attempt(s): {}",
                        processingGroup, message.getIdentifier(), history.size(), failure.toString());
            report(() -> observer.skipped(processingGroup, message, failure));
            return;
        }
        EnqueueOutcome enqueued;
        try {
            enqueued = store.enqueueOnce(processingGroup,
                                         LetterDraft.failed(sequenceIdentifier, message, failure, history));
        } catch (DeadLetterQueueOverflowException e) {
            observer.overflowed(processingGroup, message);
            logger.error("Dead-letter queue of processing group [{}] is full; event [{}] cannot be dead-lettered. "
                                 + "The batch will be retried and the segment stalls until letters are "
                                 + "redelivered or evicted: {}", processingGroup, message.getIdentifier(),
                         e.getMessage());
            keepForReplay(message, new AttemptState(history, decision, failure));
            vetoCommit(e);
            throw e;
        } catch (RuntimeException e) {
            vetoCommit(e);
            throw e;
        }
        parkedKeys(segment).put(key, marks.incrementAndGet());
        if (enqueued.alreadyALetter()) {
            // Axon delivered it again (a token moved back, a replay): it was counted when it was stored.
            logger.info("Processing group [{}]: event [{}] of sequence [{}] failed again and is a dead letter already "
                                + "([{}]); not stored again: {}", processingGroup, message.getIdentifier(), key,
                        enqueued.letterId(), failure.toString());
            return;
        }
        logger.warn("Processing group [{}] dead-lettered event [{}] of sequence [{}] after {} attempt(s): {}",
                    processingGroup, message.getIdentifier(), key, history.size(), failure.toString());
        // Reported with the batch's commit: a batch that fails later (a full queue, a database error) rolls the
        // letter back, and its retry dead-letters the event again.
        report(() -> observer.deadLettered(processingGroup, message, failure, history.size()));
    }

    /**
     * The event is neither handled nor dead-lettered: its batch must not commit, even when an interceptor of the
     * processor catches what its chain throws (I1). The store returns its refusal from the transaction callback
     * instead of throwing there, so nothing marked the transaction rollback-only (a refused append throws inside its
     * callback, which does). A batch that fails anyway never reaches its prepare-commit.
     */
    private static void vetoCommit(RuntimeException failure) {
        CurrentUnitOfWork.ifStarted(unitOfWork -> unitOfWork.root().onPrepareCommit(u -> {
            throw failure;
        }));
    }

    private void invokeTagged(EventMessage<?> message) throws Exception {
        CurrentUnitOfWork.ifStarted(u -> u.resources().put(PROCESSING_GROUP_RESOURCE, processingGroup));
        invokeHandlers(message);
    }

    /** Waits out a retry back-off, unless the processor stops meanwhile: then the batch fails (rolled back). */
    private void backOff(EventMessage<?> message, Duration delay) throws InterruptedException {
        // A policy may ask for more than a long of nanoseconds holds (ChronoUnit.FOREVER): that is "until the stop".
        long nanos = delay.compareTo(MAX_WAIT) >= 0 ? Long.MAX_VALUE : delay.toNanos();
        long start = System.nanoTime();
        while (true) {
            if (stopping.getAsBoolean()) {
                throw new ProcessorStoppingException(processingGroup, message);
            }
            long left = nanos - (System.nanoTime() - start);
            if (left <= 0) {
                return;
            }
            Thread.sleep(Math.max(1, Math.min(STOP_CHECK_INTERVAL_MS, TimeUnit.NANOSECONDS.toMillis(left))));
        }
    }

    // --- redelivery ---------------------------------------------------------------------------------------------

    /**
     * Invokes the handlers for a dead letter, with the letter available to handlers as a {@link DeadLetter}
     * parameter. Exceptions propagate: the caller owns the unit of work and decides what a failure means.
     */
    public void invokeForRedelivery(StoredLetter letter) throws Exception {
        for (EventMessage<?> message : letter.messages()) {
            invokeForRedelivery(letter, message);
        }
    }

    /**
     * Invokes the handlers for one of the events the upcaster chain made of the letter's stored event (see
     * {@link StoredLetter#messages()}), with the letter available to handlers as a {@link DeadLetter} parameter.
     */
    public void invokeForRedelivery(StoredLetter letter, EventMessage<?> message) throws Exception {
        CurrentUnitOfWork.ifStarted(u -> u.resources().put(DeadLetter.class.getName(), letter));
        invokeTagged(message);
    }

    /**
     * Taken by a redelivery before it claims a sequence; pass it to {@link #sequenceDrained(String, long)} when the
     * sequence turned out empty.
     */
    public long drainMark() {
        return marks.incrementAndGet();
    }

    /**
     * Keeps this node's parked sets current after a redelivery drained a sequence. Only entries learned before
     * {@code drainMark} are dropped: an entry added since then comes from a live failure that started the sequence
     * anew (possibly not committed yet, so the redelivery could not see it); dropping it would let the sequence's
     * next events pass its dead letter (I2). A stale entry left behind is harmless: the next event of the sequence
     * finds the sequence gone when it is appended, is handled live, and the entry is dropped then.
     */
    public void sequenceDrained(String sequenceKey, long drainMark) {
        parkedBySegment.values().forEach(
                keys -> keys.computeIfPresent(sequenceKey, (k, mark) -> mark <= drainMark ? null : mark));
    }

    // --- lifecycle ----------------------------------------------------------------------------------------------

    /**
     * Axon's {@code MultiEventHandlerInvoker} does not forward this; {@link DeadLetteringProcessorInvoker} does. The
     * parked sets of the released segment id end (under any mask); the other segments this node holds keep theirs.
     */
    @Override
    public void segmentReleased(Segment segment) {
        forgetParkedSets(s -> s.getSegmentId() == segment.getSegmentId());
        super.segmentReleased(segment);
    }

    @Override
    public <R> void performReset(R resetContext) {
        // Removed before the reset handlers run, in the reset's transaction: the removal locks the group's sequences,
        // so a redelivery under way either commits before it (and the reset handlers then clear what it wrote) or
        // waits for the reset and loses its lease. A redelivery committing after the reset handlers had cleared the
        // projection would leave its letter applied there, and the replay would apply the event again.
        int removed = clearOnReset ? store.evictGroup(processingGroup) : 0;
        super.performReset(resetContext);
        parkedBySegment.clear();
        // A replayed event is handled anew, never concluded from a failure of its earlier run.
        failuresAwaitingReplay.clear();
        if (clearOnReset) {
            // Axon resets all groups of the processor and its tokens in one transaction: a group whose reset fails
            // rolls the removal back.
            AfterCommit.run(() -> {
                logger.info("Processor reset: removed {} dead letter(s) of processing group [{}]", removed,
                            processingGroup);
                if (removed > 0) {
                    observer.evicted(processingGroup, removed, DeadLetterObserver.EVICTED_ON_RESET);
                }
            });
        } else if (store.size(processingGroup) > 0) {
            // Kept letters park their sequences: the replayed history of those sequences queues up behind them.
            logger.warn("Processor reset: processing group [{}] keeps its dead letters; the replayed events of their "
                                + "sequences will be parked behind them until they are redelivered or evicted. Set "
                                + "clear-on-reset to remove them instead.", processingGroup);
        }
    }

    /** How a failed attempt is undone when the processor's transaction supports savepoints. */
    public enum Isolation {
        /**
         * One savepoint per batch, taken lazily (a checkpoint). A failure rolls back to it, re-runs the batch's
         * events since it through the processor's whole invoker (every group of the processor), then isolates the
         * failing event with a savepoint per attempt and takes a new checkpoint. Same outcome as
         * {@link #SAVEPOINT_PER_ATTEMPT}, no per-event cost; handlers with effects outside the transaction may see
         * an event again after another event's failure, as with any batch replay. Decided per processor: a
         * processor runs checkpointed only if all of its axon-dlq groups ask for it.
         */
        CHECKPOINT,
        /**
         * Every attempt runs in its own savepoint (two extra round trips per event, and on PostgreSQL one
         * subtransaction per event). Nothing is ever re-run: for handlers whose side effects must never repeat.
         */
        SAVEPOINT_PER_ATTEMPT
    }

    /** The failed attempts of one event so far and what the policy decided after the last one. */
    /** A failure kept for the processor's replay, and whether its event was delivered as part of a reset's replay. */
    private record KeptFailure(AttemptState state, boolean deliveredInReplay) {
    }

    record AttemptState(List<AttemptRecord> history, RetryDecision decision, Throwable lastFailure) {
    }

    /** Builds the invoker; validates every input with {@link AxonConfigurationException}. */
    public static class Builder extends SimpleEventHandlerInvoker.Builder<Builder> {

        private String processingGroup;
        private DeadLetterStore store;
        private RetryPolicy retryPolicy = ExponentialBackoffRetryPolicy.defaults();
        private Savepoints savepoints = Savepoints.NONE;
        private DeadLetterObserver observer = DeadLetterObserver.NOOP;
        private boolean clearOnReset = true;
        private String nodeId = "unknown";
        private Isolation isolation = Isolation.CHECKPOINT;
        private boolean transactional = true;

        protected Builder() {
            // Failures must reach the retry logic instead of being logged away by the group's error handler.
            super.listenerInvocationErrorHandler(PropagatingErrorHandler.instance());
        }

        public Builder processingGroup(String processingGroup) {
            if (processingGroup == null || processingGroup.isBlank()) {
                throw new AxonConfigurationException("processingGroup may not be null or blank");
            }
            this.processingGroup = processingGroup;
            return this;
        }

        public Builder store(DeadLetterStore store) {
            this.store = require(store, "store");
            return this;
        }

        public Builder retryPolicy(RetryPolicy retryPolicy) {
            this.retryPolicy = require(retryPolicy, "retryPolicy");
            return this;
        }

        /**
         * Defaults to {@link Savepoints#NONE}; pass {@code JdbcSavepoints} (JDBC) or {@code JpaAwareSavepoints}
         * (JPA) for in-transaction isolation.
         */
        public Builder savepoints(Savepoints savepoints) {
            this.savepoints = require(savepoints, "savepoints");
            return this;
        }

        public Builder observer(DeadLetterObserver observer) {
            this.observer = require(observer, "observer");
            return this;
        }

        /**
         * Whether a processor reset removes the group's letters (default true, as Axon's own invoker does). Keeping
         * them parks the replayed events of their sequences behind them.
         */
        public Builder clearOnReset(boolean clearOnReset) {
            this.clearOnReset = clearOnReset;
            return this;
        }

        public Builder nodeId(String nodeId) {
            if (nodeId == null || nodeId.isBlank()) {
                throw new AxonConfigurationException("nodeId may not be null or blank");
            }
            this.nodeId = nodeId;
            return this;
        }

        public Builder isolation(Isolation isolation) {
            this.isolation = require(isolation, "isolation");
            return this;
        }

        /**
         * Whether the processor runs its batches in a transaction (default true). Pass false when it has none (Axon's
         * {@code NoTransactionManager}): failed attempts are then retried in place and never rethrown, since a batch
         * replay would undo nothing and only apply the batch's earlier events again.
         */
        public Builder transactional(boolean transactional) {
            this.transactional = transactional;
            return this;
        }

        @Override
        public Builder listenerInvocationErrorHandler(
                org.axonframework.eventhandling.ListenerInvocationErrorHandler listenerInvocationErrorHandler) {
            throw new AxonConfigurationException(
                    "The dead-lettering invoker propagates handler failures to its retry policy; "
                            + "a ListenerInvocationErrorHandler cannot be set");
        }

        @Override
        public DeadLetteringEventHandlerInvoker build() {
            validate();
            return new DeadLetteringEventHandlerInvoker(this);
        }

        @Override
        protected void validate() throws AxonConfigurationException {
            super.validate();
            if (processingGroup == null) {
                throw new AxonConfigurationException("The processingGroup is required");
            }
            if (store == null) {
                throw new AxonConfigurationException("The store is required");
            }
        }

        private static <T> T require(T value, String name) {
            if (value == null) {
                throw new AxonConfigurationException(name + " may not be null");
            }
            return value;
        }
    }
}
