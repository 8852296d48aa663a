package io.axondlq.core;

import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.Segment;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link DeadLetteringProcessorInvoker} knows about the batch (root unit of work) it is handling: the
 * checkpoint savepoint, the events handled since it (to re-run after a rollback), the phase the group invokers must
 * act in, and the first failed attempt of an event waiting to be isolated.
 */
final class CheckpointBatch {

    private static final String RESOURCE = CheckpointBatch.class.getName();

    /** How the group invokers handle an event of this batch. */
    enum Phase {
        /** Unprotected; a failure asks the processor invoker for isolation ({@link IsolationRequiredException}). */
        RUN,
        /** Like {@link #RUN}, re-doing events the rollback undid (their earlier observer calls were discarded). */
        RERUN,
        /** The failing event (or one re-run after it): a savepoint per attempt, the retry policy decides. */
        ISOLATE
    }

    record Entry(EventMessage<?> message, Segment segment) {
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
    private final Map<String, DeadLetteringEventHandlerInvoker.AttemptState> firstFailures = new HashMap<>();

    /** The batch of the current unit of work, or null outside a checkpointing processor's batch. */
    static CheckpointBatch current() {
        return CurrentUnitOfWork.isStarted() ? CurrentUnitOfWork.get().root().getResource(RESOURCE) : null;
    }

    static CheckpointBatch currentOrNew() {
        UnitOfWork<?> root = CurrentUnitOfWork.get().root();
        return root.getOrComputeResource(RESOURCE, k -> {
            CheckpointBatch batch = new CheckpointBatch();
            // What the batch's commit keeps is reported then; a batch the processor rolls back reports nothing.
            root.afterCommit(u -> batch.flushNotifications());
            root.onRollback(u -> batch.discardNotifications());
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

    /** Runs {@code notification} now, or once the events since the checkpoint can no longer be rolled back. */
    void report(Runnable notification) {
        if (checkpointed()) {
            notifications.add(notification);
        } else {
            notification.run();
        }
    }

    void discardNotifications() {
        notifications.clear();
    }

    void flushNotifications() {
        List<Runnable> pending = List.copyOf(notifications);
        notifications.clear();
        pending.forEach(Runnable::run);
    }

    void firstFailure(String processingGroup, EventMessage<?> message,
                      DeadLetteringEventHandlerInvoker.AttemptState state) {
        firstFailures.put(processingGroup + '\u0000' + message.getIdentifier(), state);
    }

    DeadLetteringEventHandlerInvoker.AttemptState takeFirstFailure(String processingGroup, EventMessage<?> message) {
        return firstFailures.remove(processingGroup + '\u0000' + message.getIdentifier());
    }
}
