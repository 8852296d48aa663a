package io.axondlq.core.observe;

import org.axonframework.eventhandling.EventMessage;

/**
 * Hears every failure, retry, park and redelivery, so metrics see what Axon's processor metrics do not (Axon
 * counts a dead-lettered event as a success). All methods default to doing nothing; implementations must be fast
 * and must not throw.
 */
public interface DeadLetterObserver {

    DeadLetterObserver NOOP = new DeadLetterObserver() {
    };

    /** A handler attempt failed and will be retried. */
    default void retried(String processingGroup, EventMessage<?> event, Throwable cause, int failedAttempts) {
    }

    /** An event failed for good and started (or joined) a dead-letter sequence. */
    default void deadLettered(String processingGroup, EventMessage<?> event, Throwable cause, int attempts) {
    }

    /** An event was set aside unhandled behind an earlier failure of its sequence. */
    default void parked(String processingGroup, EventMessage<?> event) {
    }

    /** The retry policy decided to drop the event. */
    default void skipped(String processingGroup, EventMessage<?> event, Throwable cause) {
    }

    /** A letter was redelivered successfully and removed. */
    default void redelivered(String processingGroup, EventMessage<?> event) {
    }

    /** A redelivery failed; the letter stays with attempts + 1. */
    default void redeliveryFailed(String processingGroup, EventMessage<?> event, Throwable cause) {
    }

    /** The queue was full: the letter could not be stored and the batch will be retried. */
    default void overflowed(String processingGroup, EventMessage<?> event) {
    }
}
