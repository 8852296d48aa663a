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

    /** {@link #evicted} reason: a processor reset cleared the group's letters. */
    String EVICTED_ON_RESET = "reset";
    /** {@link #evicted} reason: an operator evicted letters. */
    String EVICTED_BY_OPERATOR = "operator";
    /**
     * {@link #evicted} reason: a redelivery resolved the letter because the application's upcaster chain drops its
     * event (an upcaster returned no event for it).
     */
    String EVICTED_BY_UPCASTER = "upcaster";

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

    /**
     * Letters were removed without being redelivered.
     *
     * @param letters how many letters were removed (at least 1)
     * @param reason  why, low-cardinality so it can be a metric tag: {@link #EVICTED_ON_RESET} when a processor
     *                reset cleared the group ({@code clearOnReset}), {@link #EVICTED_BY_OPERATOR} for an operator's
     *                eviction, {@link #EVICTED_BY_UPCASTER} for a letter whose event the upcaster chain drops
     */
    default void evicted(String processingGroup, int letters, String reason) {
    }
}
