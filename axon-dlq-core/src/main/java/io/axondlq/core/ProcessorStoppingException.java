package io.axondlq.core;

import org.axonframework.eventhandling.EventMessage;

/**
 * Thrown when the processor stops while an event waits for its next retry: the batch fails and rolls back, so the
 * processor stops at once instead of running (and dead-lettering) the rest of the retry chain; the token stays before
 * the event, which is handled again, from its first attempt, after the restart.
 */
public final class ProcessorStoppingException extends RuntimeException {

    ProcessorStoppingException(String processingGroup, EventMessage<?> message) {
        super("Processor of group [" + processingGroup + "] is stopping during the retry back-off of event ["
                      + message.getIdentifier() + "]: its batch rolls back, the event is handled again after the "
                      + "restart", null, false, false);
    }
}
