package io.axondlq.core;

import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.Segment;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What {@link DeadLetteringProcessorInvoker} knows about the batch (root unit of work) it is handling: the
 * checkpoint savepoint, the events handled since it (to re-run after a rollback), the phase the group invokers must
 * act in, and the first failed attempt of an event waiting to be isolated.
 */
final class CheckpointBatch {

    private static final String RESOURCE = CheckpointBatch.class.getName();

    /** How the group invokers handle an event of this batch. */
    enum Phase {
        /**
         * Unprotected, also while re-doing events a rollback undid; a failure asks the processor invoker for
         * isolation ({@link IsolationRequiredException}).
         */
        RUN,
        /** The failing event (or one re-run after it): a savepoint per attempt, the retry policy decides. */
        ISOLATE
    }

    record Entry(EventMessage<?> message, Segment segment) {
    }

    /** An event of a parked sequence whose append waits for the batch's next flush. */
    record Follower(EventMessage<?> message, Segment segment, Object sequenceIdentifier, String key) {
    }

    Savepoints.Savepoint checkpoint;
    /** The events queued for publication at the checkpoint. */
    PublicationMark publications;
    /** No savepoint could be taken: the group invokers use their own fallback for the whole batch. */
    boolean unsupported;
    Phase phase = Phase.RUN;
    List<Entry> journal = new ArrayList<>();
    /**
     * Observer calls of the events handled since the checkpoint: a rollback to it discards them (the re-run makes
     * them again), so every event is counted once even when several groups of the processor see it again.
     */
    private final List<Runnable> notifications = new ArrayList<>();
    /**
     * Observer calls no rollback to a checkpoint can undo any more (isolated events, re-run events that stay): made
     * when the batch commits, dropped when it rolls back (the processor runs its events again).
     */
    private final List<Runnable> kept = new ArrayList<>();
    /**
     * Followers of parked sequences handed in since the checkpoint (or the last flush), per group in arrival order:
     * appended in one batched statement per group instead of one round trip each. Nothing observable happens to them
     * in between (no handler runs), so appending them later changes nothing, unless the sequence turns out drained;
     * then they are handled live at the flush, through the processor's interceptors, in their own unit of work.
     */
    private final Map<DeadLetteringEventHandlerInvoker, List<Follower>> followers = new LinkedHashMap<>();
    /**
     * The sequence keys of the deferred followers, per group: every later event of such a sequence is deferred too,
     * whatever the parked set says by then (a redelivery may drop the key meanwhile), so that the sequence keeps its
     * order when the flush finds it drained and handles its followers live.
     */
    private final Map<DeadLetteringEventHandlerInvoker, Set<String>> deferredKeys = new HashMap<>();
    private final Map<String, DeadLetteringEventHandlerInvoker.AttemptState> firstFailures = new HashMap<>();

    /** The batch of the current unit of work, or null outside a checkpointing processor's batch. */
    static CheckpointBatch current() {
        return CurrentUnitOfWork.isStarted() ? CurrentUnitOfWork.get().root().getResource(RESOURCE) : null;
    }

    /**
     * The batch of the current unit of work, created on first use; {@code beforeCommit} runs in the batch's
     * prepare-commit phase, to flush what the batch deferred.
     */
    static CheckpointBatch currentOrNew(Consumer<CheckpointBatch> beforeCommit) {
        UnitOfWork<?> root = CurrentUnitOfWork.get().root();
        return root.getOrComputeResource(RESOURCE, k -> {
            CheckpointBatch batch = new CheckpointBatch();
            root.onPrepareCommit(u -> beforeCommit.accept(batch));
            // What the batch's commit keeps is reported then; a batch the processor rolls back reports nothing.
            root.afterCommit(u -> batch.flushNotifications());
            root.onRollback(u -> batch.discardAllNotifications());
            return batch;
        });
    }

    /** Whether group invokers run unprotected and report failures instead of retrying. */
    boolean checkpointed() {
        return !unsupported && checkpoint != null && phase != Phase.ISOLATE;
    }

    boolean isolating() {
        return !unsupported && phase == Phase.ISOLATE;
    }

    /**
     * Runs {@code notification} once the batch commits; dropped by a rollback to the checkpoint while the checkpoint
     * can still undo the event, and by the batch's rollback.
     */
    void report(Runnable notification) {
        if (checkpointed()) {
            notifications.add(notification);
        } else {
            kept.add(notification);
        }
    }

    /** Whether a follower's append can wait for the next flush: while the checkpoint can undo the batch so far. */
    boolean defersAppends() {
        return checkpointed();
    }

    void defer(DeadLetteringEventHandlerInvoker group, Follower follower) {
        followers.computeIfAbsent(group, g -> new ArrayList<>()).add(follower);
        deferredKeys.computeIfAbsent(group, g -> new HashSet<>()).add(follower.key());
    }

    /** Whether an earlier event of the sequence waits in this batch's deferred followers. */
    boolean hasDeferred(DeadLetteringEventHandlerInvoker group, String key) {
        Set<String> keys = deferredKeys.get(group);
        return keys != null && keys.contains(key);
    }

    /** The deferred followers, per group; the batch forgets them. */
    Map<DeadLetteringEventHandlerInvoker, List<Follower>> takeFollowers() {
        if (followers.isEmpty()) {
            return Map.of();
        }
        Map<DeadLetteringEventHandlerInvoker, List<Follower>> taken = new LinkedHashMap<>(followers);
        followers.clear();
        deferredKeys.clear();
        return taken;
    }

    /** A rollback to the checkpoint: the re-run defers the followers again. */
    void discardFollowers() {
        followers.clear();
        deferredKeys.clear();
    }

    /** A rollback to the checkpoint: the re-run makes these calls again. */
    void discardNotifications() {
        notifications.clear();
    }

    /** The events since the checkpoint stay: their calls wait for the batch's commit with the others. */
    void keepNotifications() {
        kept.addAll(notifications);
        notifications.clear();
    }

    private void discardAllNotifications() {
        notifications.clear();
        kept.clear();
    }

    /** The batch committed. */
    void flushNotifications() {
        keepNotifications();
        List<Runnable> pending = List.copyOf(kept);
        kept.clear();
        pending.forEach(Runnable::run);
    }

    void firstFailure(String processingGroup, EventMessage<?> message,
                      DeadLetteringEventHandlerInvoker.AttemptState state) {
        firstFailures.put(processingGroup + '\u0000' + BatchOrdinal.key(message), state);
    }

    DeadLetteringEventHandlerInvoker.AttemptState takeFirstFailure(String processingGroup, EventMessage<?> message) {
        return firstFailures.remove(processingGroup + '\u0000' + BatchOrdinal.key(message));
    }
}
