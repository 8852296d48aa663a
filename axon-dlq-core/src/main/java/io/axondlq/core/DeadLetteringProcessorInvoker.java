package io.axondlq.core;

import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.EventHandlerInvoker;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.MergedTrackingToken;
import org.axonframework.eventhandling.MultiEventHandlerInvoker;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.WrappedToken;
import org.axonframework.messaging.DefaultInterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The invoker of a whole processor that runs axon-dlq groups: owns what is per segment and per batch, because only
 * the processor's invoker sees every group of a batch and is told about segments.
 * <ul>
 * <li><b>Segments.</b> Axon's {@link MultiEventHandlerInvoker} does not forward {@link #segmentReleased}, and
 * splits and merges of a pooled streaming processor release claims without calling it at all. So the module reports
 * every claim and release from the processor's token store ({@link #segmentClaimed(int)},
 * {@link #claimReleased(int)}), and a group's parked set of a segment lives only while this node holds the claim it
 * was loaded under: another node can park sequences of a segment only while this node does not hold it.</li>
 * <li><b>Merges.</b> While a pooled streaming processor catches a merged segment up, it delivers every event that
 * either half had not handled yet to the whole segment, so the half that was ahead sees its own events again: an
 * event applied already would be applied again, or parked behind a later letter of its sequence and applied after
 * later events on redelivery. Like Axon's tracking processor, this invoker hands such an event only to the halves
 * whose token it advances ({@link #unhandledParts}).</li>
 * <li><b>Checkpoints.</b> With {@link DeadLetteringEventHandlerInvoker.Isolation#CHECKPOINT} the batch gets one
 * savepoint, lazily, at its first event. A handler failure rolls back to it, re-runs the events handled since then
 * through every group of the processor (the rollback undid all of them), isolates the failing event with a savepoint
 * per attempt, and continues with a new checkpoint. The processor never sees the failure. Events handlers queued
 * for publication since the checkpoint are dropped with the rollback ({@link PublicationMark}), so a re-run does
 * not publish them twice. A re-run event's subscription-query updates, queued in its own unit of work, are appended
 * to the batch's queue when it commits ({@link PublicationMark#handOverUpdates}): subscribers receive the batch's
 * updates in event order, after the batch's commit.</li>
 * </ul>
 */
public class DeadLetteringProcessorInvoker extends MultiEventHandlerInvoker {

    private final List<DeadLetteringEventHandlerInvoker> groups;
    private final Savepoints savepoints;
    private final boolean checkpointing;
    private final boolean filtersMergeCatchUp;
    private volatile Supplier<List<MessageHandlerInterceptor<? super EventMessage<?>>>> interceptors = List::of;
    /** Segment ids whose claim this node took and has not released, as the token store reported them. */
    private final Set<Integer> heldSegments = ConcurrentHashMap.newKeySet();

    /**
     * @param delegates     the processor's invokers, axon-dlq's among them
     * @param savepoints    savepoints in the processor's transaction
     * @param checkpointing       whether batches run with a checkpoint (transactional processor, every axon-dlq
     *                            group asks for {@link DeadLetteringEventHandlerInvoker.Isolation#CHECKPOINT})
     * @param filtersMergeCatchUp whether to hand an event delivered during a merge only to the halves it advances:
     *                            true for a pooled streaming processor, which does not; false for a tracking
     *                            processor, which does so itself
     */
    public DeadLetteringProcessorInvoker(List<? extends EventHandlerInvoker> delegates, Savepoints savepoints,
                                         boolean checkpointing, boolean filtersMergeCatchUp) {
        super(List.copyOf(delegates));
        this.groups = delegates().stream()
                                 .filter(DeadLetteringEventHandlerInvoker.class::isInstance)
                                 .map(DeadLetteringEventHandlerInvoker.class::cast)
                                 .toList();
        this.savepoints = Objects.requireNonNull(savepoints, "savepoints");
        this.checkpointing = checkpointing;
        this.filtersMergeCatchUp = filtersMergeCatchUp;
    }

    /** The axon-dlq groups of this processor. */
    public List<DeadLetteringEventHandlerInvoker> deadLetteringGroups() {
        return groups;
    }

    public boolean checkpointing() {
        return checkpointing;
    }

    /**
     * The handler interceptors registered on the processor from outside (not the processor's own): an event re-run
     * after a checkpoint rollback goes through them again, in a unit of work of its own nested in the batch, because
     * the rollback also undid what they wrote and they may set up what its handlers need (a tenant, a context).
     */
    public void interceptors(Supplier<List<MessageHandlerInterceptor<? super EventMessage<?>>>> interceptors) {
        this.interceptors = Objects.requireNonNull(interceptors, "interceptors");
    }

    // --- segments -----------------------------------------------------------------------------------------------

    @Override
    public void segmentReleased(Segment segment) {
        // Forwarded to every delegate: Axon's MultiEventHandlerInvoker forwards it to none.
        for (EventHandlerInvoker delegate : delegates()) {
            delegate.segmentReleased(segment);
        }
    }

    /**
     * This node claimed a segment of the processor: another node may have parked sequences of it (or of a segment
     * it was split from or merged with) while this node did not hold it. Drops the parked sets loaded for that
     * segment id (under any mask) and those of segments this node does not hold (halves a merged token was caught
     * up through), and keeps those of the other segments this node still holds: nobody else could park in them, and
     * reloading every segment on each claim would cost a query per segment and claim.
     */
    public void segmentClaimed(int segmentId) {
        heldSegments.add(segmentId);
        groups.forEach(group -> group.forgetParkedSets(
                s -> s.getSegmentId() == segmentId || !heldSegments.contains(s.getSegmentId())));
    }

    /** The segment ids this node holds a claim on, as the token store reported claims and releases. */
    Set<Integer> heldSegments() {
        return Set.copyOf(heldSegments);
    }

    /** This node gave up (or deleted, merging) a segment's claim: its parked sets end with it. */
    public void claimReleased(int segmentId) {
        heldSegments.remove(segmentId);
        groups.forEach(group -> group.forgetParkedSets(s -> s.getSegmentId() == segmentId));
    }

    // --- batches ------------------------------------------------------------------------------------------------

    @Override
    public void handle(EventMessage<?> message, Segment segment) throws Exception {
        if (filtersMergeCatchUp && message instanceof TrackedEventMessage<?> tracked
                && MergedTrackingToken.isMergeInProgress(tracked.trackingToken())) {
            for (Segment part : unhandledParts(tracked.trackingToken(), segment)) {
                handleInSegment(message, part);
            }
            return;
        }
        handleInSegment(message, segment);
    }

    /**
     * The parts of {@code segment} that have not handled the event carrying {@code token} yet: for a merged token,
     * the halves whose token the event advanced (recursively), as Axon's tracking processor computes them.
     */
    static Set<Segment> unhandledParts(TrackingToken token, Segment segment) {
        Optional<MergedTrackingToken> merged = WrappedToken.unwrap(token, MergedTrackingToken.class);
        if (merged.isEmpty()) {
            return Set.of(segment);
        }
        Segment[] halves = segment.split();
        Set<Segment> parts = new TreeSet<>();
        if (merged.get().isLowerSegmentAdvanced()) {
            parts.addAll(unhandledParts(merged.get().lowerSegmentToken(), halves[0]));
        }
        if (merged.get().isUpperSegmentAdvanced()) {
            parts.addAll(unhandledParts(merged.get().upperSegmentToken(), halves[1]));
        }
        return parts;
    }

    private void handleInSegment(EventMessage<?> message, Segment segment) throws Exception {
        if (!checkpointing || !CurrentUnitOfWork.isStarted()) {
            super.handle(message, segment);
            return;
        }
        CheckpointBatch batch = CheckpointBatch.currentOrNew(this::flushFollowersBeforeCommit);
        if (batch.unsupported) {
            super.handle(message, segment);
            return;
        }
        handleAfterCheckpoint(batch, new CheckpointBatch.Entry(message, segment), true);
    }

    /**
     * The processor's first interceptor from outside (registered before the configured ones): takes the batch's
     * checkpoint before any of them runs for the event that needs it, so that what they write before calling their
     * chain (an inbox or deduplication row) is rolled back with the event and written again by its re-run, which goes
     * through them again. Taken inside the chain, it would come after those writes: the rollback would keep them and
     * the re-run repeat them (a duplicate row, or a deduplication that skips the event for good). Not part of the
     * interceptors a re-run or a redelivery goes through.
     */
    public MessageHandlerInterceptor<EventMessage<?>> checkpointBeforeInterceptors() {
        return (unitOfWork, chain) -> {
            if (checkpointing && unitOfWork.isRoot()) {
                CheckpointBatch batch = CheckpointBatch.currentOrNew(this::flushFollowersBeforeCommit);
                if (batch.checkpoint == null && !batch.unsupported) {
                    takeCheckpoint(batch);
                }
            }
            return chain.proceed();
        };
    }

    private void takeCheckpoint(CheckpointBatch batch) throws Exception {
        // Followers deferred before the last isolation are part of what stays: append them first.
        flushFollowers(batch);
        batch.publications = PublicationMark.take();
        batch.checkpoint = savepoints.create();
        if (batch.checkpoint == null) {
            // No savepoint in this transaction: the groups fall back to rethrowing (the processor replays).
            batch.unsupported = true;
        }
    }

    /**
     * @param own whether the processor delivered {@code entry} just now, inside its interceptor chain; false for an
     *            event handled again after a rollback (see {@link #rehandle})
     */
    private void handleAfterCheckpoint(CheckpointBatch batch, CheckpointBatch.Entry entry, boolean own)
            throws Exception {
        if (batch.checkpoint == null) {
            takeCheckpoint(batch);
        }
        if (batch.unsupported) {
            rehandle(entry, own);
            return;
        }
        try {
            rehandle(entry, own);
            batch.journal.add(entry);
        } catch (IsolationRequiredException e) {
            isolate(batch, entry, own);
        }
    }

    /**
     * Rolls back to the checkpoint, re-runs the events since it, isolates {@code failed}, then handles the events
     * that must come after it. An event that fails on its re-run (a non-deterministic handler) is isolated first,
     * and the events after it follow.
     */
    private void isolate(CheckpointBatch batch, CheckpointBatch.Entry failed, boolean own) throws Exception {
        Deque<CheckpointBatch.Entry> after = new ArrayDeque<>();
        CheckpointBatch.Entry failing = failed;
        boolean failingIsOwn = own;
        boolean rerunComplete = false;
        while (!rerunComplete) {
            batch.checkpoint.rollback();
            batch.publications.restore();
            batch.discardNotifications();
            batch.discardFollowers();
            List<CheckpointBatch.Entry> rerun = batch.journal;
            batch.journal = new ArrayList<>();
            int index = rerun(batch, rerun);
            rerunComplete = index == rerun.size();
            if (!rerunComplete) {
                after.addFirst(failing);
                for (int i = rerun.size() - 1; i > index; i--) {
                    after.addFirst(rerun.get(i));
                }
                // The journal now holds the entries before it: they are re-run again after the next rollback.
                failing = rerun.get(index);
                failingIsOwn = false;
            }
        }
        // The re-run events stay now (reported with the batch's commit, before the isolated event's own calls).
        batch.keepNotifications();
        batch.phase = CheckpointBatch.Phase.ISOLATE;
        try {
            // The followers the re-run deferred go first (reported at once, as nothing rolls them back now): the
            // isolated event is appended at once when its sequence is parked, and must not overtake them.
            flushFollowers(batch);
            rehandle(failing, failingIsOwn);
        } finally {
            batch.phase = CheckpointBatch.Phase.RUN;
        }
        // Everything so far stays: the next event takes a new checkpoint.
        batch.checkpoint = null;
        batch.journal = new ArrayList<>();
        for (CheckpointBatch.Entry next : after) {
            // The event the processor delivered (always the last of these) is still inside its own chain.
            handleAfterCheckpoint(batch, next, own && next == failed);
        }
    }

    /** @return the number of entries re-run successfully; the entry at that index failed when below the size */
    private int rerun(CheckpointBatch batch, List<CheckpointBatch.Entry> entries) throws Exception {
        for (int i = 0; i < entries.size(); i++) {
            CheckpointBatch.Entry entry = entries.get(i);
            try {
                rehandle(entry, false);
            } catch (IsolationRequiredException e) {
                return i;
            }
            batch.journal.add(entry);
        }
        return entries.size();
    }

    /**
     * Hands {@code entry} to the groups: directly when the processor's interceptor chain for it is running now
     * ({@code own}), else in a unit of work of its own (see {@link #inOwnUnitOfWork}).
     */
    private void rehandle(CheckpointBatch.Entry entry, boolean own) throws Exception {
        if (own) {
            super.handle(entry.message(), entry.segment());
        } else {
            inOwnUnitOfWork(entry.message(), message -> handleDirectly(message, entry.segment()));
        }
    }

    private void handleDirectly(EventMessage<?> message, Segment segment) throws Exception {
        super.handle(message, segment);
    }

    /**
     * Runs {@code action} for an event outside the processor's own chain for it: in a unit of work nested in the
     * batch, whose message is the event (correlation data of what handlers publish), through the processor's
     * interceptors. What an interceptor did for the failing event itself before calling its chain cannot be
     * repeated; its writes before it proceeds are undone with the rollback (documented).
     */
    private void inOwnUnitOfWork(EventMessage<?> event, EventAction action) throws Exception {
        UnitOfWork<EventMessage<?>> nested = DefaultUnitOfWork.startAndGet(event);
        // Seen where the groups throw it: an interceptor may wrap it, or catch it and return, and the isolation must
        // still happen (for the processor's own event it never passes an interceptor).
        IsolationRequiredException[] isolation = {null};
        try {
            new DefaultInterceptorChain<>(nested, interceptors.get(), message -> {
                try {
                    action.run(message);
                } catch (IsolationRequiredException e) {
                    isolation[0] = e;
                    throw e;
                }
                return null;
            }).proceed();
        } catch (Exception | Error failure) {
            nested.rollback(failure);
            if (isolation[0] != null) {
                throw isolation[0];
            }
            throw failure;
        }
        if (isolation[0] != null) {
            nested.rollback(isolation[0]);
            throw isolation[0];
        }
        nested.commit();
        // Its subscription-query updates go behind those queued in the batch so far, not into an after-commit of the
        // batch (run in reverse order of registration, so after the updates of later events).
        PublicationMark.handOverUpdates(nested);
    }

    @FunctionalInterface
    private interface EventAction {
        void run(EventMessage<?> event) throws Exception;
    }

    // --- deferred followers -----------------------------------------------------------------------------------

    private void flushFollowersBeforeCommit(CheckpointBatch batch) {
        try {
            flushFollowers(batch);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Could not append the batch's parked followers", e);
        }
    }

    /**
     * Appends the followers the batch deferred, one statement per group. A follower whose sequence was drained
     * meanwhile is handled live by its group now, in order, as if at its own position: no handler ran between that
     * position and here for its sequence. It gets a savepoint per attempt and the retry policy (the checkpoint no
     * longer covers it alone), its own unit of work and the processor's interceptors.
     */
    private void flushFollowers(CheckpointBatch batch) throws Exception {
        Map<DeadLetteringEventHandlerInvoker, List<CheckpointBatch.Follower>> deferred = batch.takeFollowers();
        for (Map.Entry<DeadLetteringEventHandlerInvoker, List<CheckpointBatch.Follower>> group : deferred.entrySet()) {
            for (CheckpointBatch.Follower follower : group.getKey().appendDeferred(group.getValue())) {
                CheckpointBatch.Phase phase = batch.phase;
                batch.phase = CheckpointBatch.Phase.ISOLATE;
                try {
                    inOwnUnitOfWork(follower.message(), message -> group.getKey().handle(message, follower.segment()));
                } finally {
                    batch.phase = phase;
                }
            }
        }
    }
}
