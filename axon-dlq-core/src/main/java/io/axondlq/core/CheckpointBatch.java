package io.axondlq.core;

import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.Segment;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;

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
        /** Like {@link #RUN}, re-doing events the rollback undid: observers were told already. */
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
    private final Map<String, DeadLetteringEventHandlerInvoker.AttemptState> firstFailures = new HashMap<>();

    /** The batch of the current unit of work, or null outside a checkpointing processor's batch. */
    static CheckpointBatch current() {
        return CurrentUnitOfWork.isStarted() ? CurrentUnitOfWork.get().root().getResource(RESOURCE) : null;
    }

    static CheckpointBatch currentOrNew() {
        return CurrentUnitOfWork.get().root().getOrComputeResource(RESOURCE, k -> new CheckpointBatch());
    }

    /** Whether group invokers run unprotected and report failures instead of retrying. */
    boolean checkpointed() {
        return !unsupported && checkpoint != null && phase != Phase.ISOLATE;
    }

    boolean isolating() {
        return !unsupported && phase == Phase.ISOLATE;
    }

    boolean rerunning() {
        return phase == Phase.RERUN;
    }

    void firstFailure(String processingGroup, EventMessage<?> message,
                      DeadLetteringEventHandlerInvoker.AttemptState state) {
        firstFailures.put(processingGroup + '\u0000' + message.getIdentifier(), state);
    }

    DeadLetteringEventHandlerInvoker.AttemptState takeFirstFailure(String processingGroup, EventMessage<?> message) {
        return firstFailures.remove(processingGroup + '\u0000' + message.getIdentifier());
    }
}
