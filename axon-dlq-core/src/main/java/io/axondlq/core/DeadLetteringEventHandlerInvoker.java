package io.axondlq.core;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.retry.RetryDecision;
import io.axondlq.core.retry.RetryPolicy;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.PropagatingErrorHandler;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.SimpleEventHandlerInvoker;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps one processing group's event handlers with retries, savepoint isolation and sequence parking.
 * <p>
 * Per event: if its sequence is parked, the event is appended to the dead-letter queue unhandled (batched per unit
 * of work, one statement each). Otherwise the handlers run inside a savepoint of the processor's transaction; a
 * failure rolls back to the savepoint and the {@link RetryPolicy} decides: retry after a backoff, skip, or
 * dead-letter the event (with its attempt history) in the same transaction as the token update.
 * <p>
 * Whether a sequence is parked is answered from a per-segment set of keys, loaded in one query the first time the
 * segment is handled after being claimed and dropped when it is released: unparked sequences cost no SQL. A stale
 * "parked" answer is harmless: the append statement itself checks that the sequence still exists.
 * <p>
 * What each transaction setup gets:
 * <ul>
 * <li><b>A transaction with savepoints</b> ({@code JdbcSavepoints} over the processor's Spring-managed transaction):
 * every attempt runs in a savepoint; a failure rolls back exactly its own writes (a PostgreSQL aborted-transaction
 * state included), and the dead letter commits with the rest of the batch and the token. I1 and I3 hold; the
 * batch is never replayed. {@link Isolation#SAVEPOINT_AFTER_FAILURE} saves the savepoints on the happy path at the
 * price of one batch replay per failing event.</li>
 * <li><b>A transaction without savepoints</b> ({@link Savepoints#NONE}, or a transaction {@code JdbcSavepoints}
 * cannot reach): a failure is rethrown so the processor rolls the whole batch back and replays it; attempts are
 * counted per event in memory and the event is dead-lettered, without invoking its handlers again, once the policy
 * gives up. I1 and I3 hold, at the cost of one batch replay per failed attempt.</li>
 * <li><b>No transaction at all</b> (Axon's {@code NoTransactionManager}, see {@link Builder#transactional}): there
 * is nothing to roll back, so failures are retried in place and the event is dead-lettered (in a short transaction
 * of the store's own) once the policy gives up. I1 holds. I3 cannot: whatever a failed attempt wrote and its storage
 * committed stays, so handlers must be idempotent or write nothing before they can fail. A crash between storing a
 * letter and storing the token replays the event, which then joins its own sequence a second time
 * (at-least-once).</li>
 * </ul>
 */
public class DeadLetteringEventHandlerInvoker extends SimpleEventHandlerInvoker {

    /** Unit-of-work resource holding the processing group whose handlers are running. */
    public static final String PROCESSING_GROUP_RESOURCE = "axon-dlq.processingGroup";
    private static final String PENDING_FOLLOWERS_RESOURCE = "axon-dlq.pendingFollowers.";
    private static final int MAX_TRACKED_FAILURES = 10_000;
    private static final Logger logger = LoggerFactory.getLogger(DeadLetteringEventHandlerInvoker.class);

    private final String processingGroup;
    /** Per-group resource key, built once: it is looked up for every event. */
    private final String pendingFollowersResource;
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
    private final Map<String, PendingFailure> failuresAwaitingReplay =
            Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, PendingFailure> eldest) {
                    return size() > MAX_TRACKED_FAILURES;
                }
            });

    protected DeadLetteringEventHandlerInvoker(Builder builder) {
        super(builder);
        this.processingGroup = builder.processingGroup;
        this.pendingFollowersResource = PENDING_FOLLOWERS_RESOURCE + builder.processingGroup;
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

    @Override
    public void handle(EventMessage<?> message, Segment segment) throws Exception {
        // The sequencing policy runs once per event: the segment check reuses its answer.
        Object sequenceIdentifier = sequenceIdentifier(message);
        if (!segment.matches(Objects.hashCode(sequenceIdentifier))) {
            return;
        }
        String key = store.sequenceKey(sequenceIdentifier);
        // A sequence with followers waiting in this batch stays deferred for the rest of the batch, even if a
        // redelivery drained it meanwhile: handling a later event now would overtake the waiting ones (I2).
        if (parkedKeys(segment).containsKey(key) || hasPendingFollowers(key)) {
            park(sequenceIdentifier, key, message, segment);
            return;
        }
        handleLive(sequenceIdentifier, key, message, segment);
    }

    private Map<String, Long> parkedKeys(Segment segment) {
        return parkedBySegment.computeIfAbsent(segment, s -> {
            long mark = marks.get();
            Map<String, Long> keys = new ConcurrentHashMap<>();
            store.parkedSequenceKeys(processingGroup, s.getSegmentId(), s.getMask()).forEach(k -> keys.put(k, mark));
            return keys;
        });
    }

    // --- parking ------------------------------------------------------------------------------------------------

    private void park(Object sequenceIdentifier, String key, EventMessage<?> message, Segment segment)
            throws Exception {
        PendingFollower follower = new PendingFollower(sequenceIdentifier, key, message, segment);
        if (!CurrentUnitOfWork.isStarted()) {
            flush(List.of(follower));
            return;
        }
        // Collect the batch's followers and append them in one JDBC batch just before the batch commits.
        UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get().root();
        PendingFollowers pending = unitOfWork.getOrComputeResource(
                pendingFollowersResource, k -> {
                    PendingFollowers batch = new PendingFollowers();
                    unitOfWork.onPrepareCommit(u -> flushUnchecked(batch));
                    return batch;
                });
        pending.add(follower);
    }

    private boolean hasPendingFollowers(String key) {
        if (!CurrentUnitOfWork.isStarted()) {
            return false;
        }
        PendingFollowers pending = CurrentUnitOfWork.get().root()
                                                    .getResource(pendingFollowersResource);
        return pending != null && pending.keys.contains(key);
    }

    private void flushUnchecked(PendingFollowers batch) {
        List<PendingFollower> pending = new ArrayList<>(batch.followers);
        batch.followers.clear();
        batch.keys.clear();
        try {
            flush(pending);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void flush(List<PendingFollower> pending) throws Exception {
        if (pending.isEmpty()) {
            return;
        }
        List<LetterDraft> drafts = new ArrayList<>(pending.size());
        for (PendingFollower follower : pending) {
            drafts.add(LetterDraft.parked(follower.sequenceIdentifier(), follower.message()));
        }
        boolean[] appended;
        try {
            appended = store.appendIfParked(processingGroup, drafts);
        } catch (DeadLetterQueueOverflowException e) {
            pending.forEach(f -> observer.overflowed(processingGroup, f.message()));
            logger.error("Dead-letter queue of processing group [{}] is full; the batch will be retried and the "
                                 + "segment stalls until letters are redelivered or evicted: {}",
                         processingGroup, e.getMessage());
            throw e;
        }
        List<PendingFollower> drained = new ArrayList<>();
        for (int i = 0; i < appended.length; i++) {
            PendingFollower follower = pending.get(i);
            if (appended[i]) {
                observer.parked(processingGroup, follower.message());
            } else {
                drained.add(follower);
            }
        }
        // Sequences drained since we cached them: their events are handled now, still in stream order.
        for (PendingFollower follower : drained) {
            parkedKeys(follower.segment()).remove(follower.key());
        }
        for (PendingFollower follower : drained) {
            if (parkedKeys(follower.segment()).containsKey(follower.key())) {
                if (store.appendIfParked(processingGroup, List.of(
                        LetterDraft.parked(follower.sequenceIdentifier(), follower.message())))[0]) {
                    observer.parked(processingGroup, follower.message());
                    continue;
                }
                parkedKeys(follower.segment()).remove(follower.key());
            }
            handleLive(follower.sequenceIdentifier(), follower.key(), follower.message(), follower.segment());
        }
    }

    // --- live handling ------------------------------------------------------------------------------------------

    private void handleLive(Object sequenceIdentifier, String key, EventMessage<?> message, Segment segment)
            throws Exception {
        PendingFailure replayed = failuresAwaitingReplay.remove(message.getIdentifier());
        if (replayed != null && replayed.decision().action() != RetryDecision.Action.RETRY) {
            // The policy gave up on an earlier run of this batch: act without invoking the handlers again.
            conclude(replayed.decision(), sequenceIdentifier, key, message, segment, replayed.lastFailure(),
                     replayed.history());
            return;
        }
        List<AttemptRecord> history = replayed == null ? new ArrayList<>() : new ArrayList<>(replayed.history());
        boolean protect = transactional && (isolation == Isolation.SAVEPOINT_PER_ATTEMPT || replayed != null);
        while (true) {
            Savepoints.Savepoint savepoint = protect ? savepoints.create() : null;
            try {
                invokeTagged(message);
                if (savepoint != null) {
                    savepoint.release();
                }
                return;
            } catch (Exception failure) {
                int attempt = history.size() + 1;
                history.add(AttemptRecord.of(attempt, GenericDeadLetter.clock.instant(), nodeId, failure));
                RetryDecision decision = retryPolicy.decide(message, failure, attempt);
                if (savepoint == null && transactional) {
                    // This attempt's writes cannot be undone here: the processor rolls back and replays the batch,
                    // and the replay finds this record.
                    failuresAwaitingReplay.put(message.getIdentifier(),
                                               new PendingFailure(List.copyOf(history), decision, failure));
                    if (decision.action() == RetryDecision.Action.RETRY) {
                        observer.retried(processingGroup, message, failure, attempt);
                    }
                    throw failure;
                }
                if (savepoint != null) {
                    savepoint.rollback();
                }
                // Without a transaction nothing can be undone: retry (or give up) in place.
                if (decision.action() != RetryDecision.Action.RETRY) {
                    conclude(decision, sequenceIdentifier, key, message, segment, failure, history);
                    return;
                }
                observer.retried(processingGroup, message, failure, attempt);
                sleep(decision.delay());
            }
        }
    }

    private void conclude(RetryDecision decision, Object sequenceIdentifier, String key, EventMessage<?> message,
                          Segment segment, Throwable failure, List<AttemptRecord> history) {
        if (decision.action() == RetryDecision.Action.SKIP) {
            logger.warn("Processing group [{}] skips event [{}] after {} failed attempt(s): {}",
                        processingGroup, message.getIdentifier(), history.size(), failure.toString());
            observer.skipped(processingGroup, message, failure);
            return;
        }
        try {
            store.enqueue(processingGroup, LetterDraft.failed(sequenceIdentifier, message, failure, history));
        } catch (DeadLetterQueueOverflowException e) {
            observer.overflowed(processingGroup, message);
            logger.error("Dead-letter queue of processing group [{}] is full; event [{}] cannot be dead-lettered. "
                                 + "The batch will be retried and the segment stalls until letters are "
                                 + "redelivered or evicted: {}", processingGroup, message.getIdentifier(),
                         e.getMessage());
            failuresAwaitingReplay.put(message.getIdentifier(), new PendingFailure(history, decision, failure));
            throw e;
        }
        parkedKeys(segment).put(key, marks.incrementAndGet());
        logger.warn("Processing group [{}] dead-lettered event [{}] of sequence [{}] after {} attempt(s): {}",
                    processingGroup, message.getIdentifier(), key, history.size(), failure.toString());
        observer.deadLettered(processingGroup, message, failure, history.size());
    }

    private void invokeTagged(EventMessage<?> message) throws Exception {
        CurrentUnitOfWork.ifStarted(u -> u.resources().put(PROCESSING_GROUP_RESOURCE, processingGroup));
        invokeHandlers(message);
    }

    private static void sleep(Duration delay) throws InterruptedException {
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
        }
    }

    // --- redelivery ---------------------------------------------------------------------------------------------

    /**
     * Invokes the handlers for a dead letter, with the letter available to handlers as a {@link DeadLetter}
     * parameter. Exceptions propagate: the caller owns the unit of work and decides what a failure means.
     */
    public void invokeForRedelivery(StoredLetter letter) throws Exception {
        CurrentUnitOfWork.ifStarted(u -> u.resources().put(DeadLetter.class.getName(), letter));
        invokeTagged(letter.message());
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

    @Override
    public void segmentReleased(Segment segment) {
        parkedBySegment.remove(segment);
        super.segmentReleased(segment);
    }

    @Override
    public <R> void performReset(R resetContext) {
        super.performReset(resetContext);
        parkedBySegment.clear();
        if (clearOnReset) {
            int removed = store.evictGroup(processingGroup);
            logger.info("Processor reset: removed {} dead letter(s) of processing group [{}]", removed,
                        processingGroup);
            if (removed > 0) {
                observer.evicted(processingGroup, removed, DeadLetterObserver.EVICTED_ON_RESET);
            }
        } else if (store.size(processingGroup) > 0) {
            logger.warn("Processor reset: processing group [{}] keeps its dead letters; they will be redelivered "
                                + "on top of the replayed stream. Set clear-on-reset to remove them instead.",
                        processingGroup);
        }
    }

    /** When the invoker takes a savepoint around a handler attempt. */
    public enum Isolation {
        /**
         * Every attempt runs in its own savepoint (two extra round trips per event). Failures never escape to the
         * processor, whatever its error handler.
         */
        SAVEPOINT_PER_ATTEMPT,
        /**
         * First attempts run unprotected; a failure is rethrown so the processor rolls back and replays the batch,
         * and only the failed event's later attempts run in savepoints. No per-event overhead, one batch replay per
         * failing event. Requires the processor's error handler to propagate (Axon's default).
         */
        SAVEPOINT_AFTER_FAILURE
    }

    private record PendingFollower(Object sequenceIdentifier, String key, EventMessage<?> message, Segment segment) {
    }

    /** The followers one batch (root unit of work) set aside so far, in stream order, and their keys. */
    private static final class PendingFollowers {

        private final List<PendingFollower> followers = new ArrayList<>();
        private final Set<String> keys = new HashSet<>();

        void add(PendingFollower follower) {
            followers.add(follower);
            keys.add(follower.key());
        }
    }

    private record PendingFailure(List<AttemptRecord> history, RetryDecision decision, Throwable lastFailure) {
    }

    /** Builds the invoker; validates every input with {@link AxonConfigurationException}. */
    public static class Builder extends SimpleEventHandlerInvoker.Builder<Builder> {

        private String processingGroup;
        private DeadLetterStore store;
        private RetryPolicy retryPolicy = ExponentialBackoffRetryPolicy.defaults();
        private Savepoints savepoints = Savepoints.NONE;
        private DeadLetterObserver observer = DeadLetterObserver.NOOP;
        private boolean clearOnReset;
        private String nodeId = "unknown";
        private Isolation isolation = Isolation.SAVEPOINT_PER_ATTEMPT;
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

        /** Defaults to {@link Savepoints#NONE}; pass {@code JdbcSavepoints} for per-event isolation. */
        public Builder savepoints(Savepoints savepoints) {
            this.savepoints = require(savepoints, "savepoints");
            return this;
        }

        public Builder observer(DeadLetterObserver observer) {
            this.observer = require(observer, "observer");
            return this;
        }

        /** Whether a processor reset removes the group's letters (default false: keep them, log a warning). */
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
