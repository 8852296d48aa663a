package io.axondlq.core.store;

/**
 * Bounds of one processing group's queue. A full queue refuses new letters with Axon's
 * {@code DeadLetterQueueOverflowException}, which stalls the segment instead of dropping events.
 *
 * @param maxSequences    how many parked sequences the group may hold
 * @param maxSequenceSize how many letters one sequence may hold
 */
public record DeadLetterLimits(int maxSequences, int maxSequenceSize) {

    /** Roomier than Axon's 1024/1024: a poison aggregate in a busy stream parks thousands of events quickly. */
    public static final DeadLetterLimits DEFAULT = new DeadLetterLimits(10_000, 10_000);

    public DeadLetterLimits {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("maxSequences must be >= 1, was " + maxSequences);
        }
        if (maxSequenceSize < 1) {
            throw new IllegalArgumentException("maxSequenceSize must be >= 1, was " + maxSequenceSize);
        }
    }
}
