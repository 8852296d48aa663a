package io.axondlq.core;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.unitofwork.BatchingUnitOfWork;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;

/**
 * Tells apart the events of one batch that share a message identifier: Axon's one-to-many upcasters give every event
 * they make of one stored event the source's identifier (and tracking token, so the processors batch them together).
 * An event's ordinal is its position among the batch's events with its identifier; a replay or re-run of the batch
 * meets the same events in the same order, so a failure kept for it is found by the event that failed, not by its
 * sibling.
 */
final class BatchOrdinal {

    private BatchOrdinal() {
    }

    /** The ordinal of {@code message} in the current batch; 0 outside a processor's batch. */
    static int of(EventMessage<?> message) {
        if (!CurrentUnitOfWork.isStarted()
                || !(CurrentUnitOfWork.get().root() instanceof BatchingUnitOfWork<?> batch)) {
            return 0;
        }
        int ordinal = 0;
        for (Object each : batch.getMessages()) {
            if (each == message) {
                return ordinal;
            }
            if (each instanceof EventMessage<?> event && event.getIdentifier().equals(message.getIdentifier())) {
                ordinal++;
            }
        }
        return 0; // not one of the batch's own messages
    }

    /** {@code message}'s identifier and ordinal, as a map key. */
    static String key(EventMessage<?> message) {
        return message.getIdentifier() + '\u0000' + of(message);
    }
}
