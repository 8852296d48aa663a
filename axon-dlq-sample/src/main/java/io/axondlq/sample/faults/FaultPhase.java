package io.axondlq.sample.faults;

/** When, in a handler, a {@link Fault} strikes. */
public enum FaultPhase {
    /** Before the handler writes its projection row. */
    BEFORE_WRITE,
    /**
     * After the handler wrote its row: shows that axon-dlq rolls back exactly the failed event's writes (savepoint),
     * so the projection never holds half of a failed event.
     */
    AFTER_WRITE
}
