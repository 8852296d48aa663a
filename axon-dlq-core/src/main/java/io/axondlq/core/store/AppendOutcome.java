package io.axondlq.core.store;

/**
 * What {@link DeadLetterStore#appendToParked} did with one draft. The invoker reports only {@link #APPENDED} to the
 * observer, so that the metrics count letters, not the deliveries of an event Axon delivers again.
 */
public enum AppendOutcome {

    /** Stored behind its parked sequence. */
    APPENDED,
    /** Not stored: the event is a letter of the group already (delivered again, or twice in one batch). */
    ALREADY_A_LETTER,
    /** Not stored: the sequence is not (or no longer) parked. */
    NOT_PARKED;

    /** Whether the event is in the queue: appended now or before. */
    public boolean inQueue() {
        return this != NOT_PARKED;
    }

    /** {@link #inQueue()} of each outcome, in order: what {@link DeadLetterStore#appendIfParked} answers. */
    public static boolean[] inQueue(AppendOutcome[] outcomes) {
        boolean[] inQueue = new boolean[outcomes.length];
        for (int i = 0; i < outcomes.length; i++) {
            inQueue[i] = outcomes[i].inQueue();
        }
        return inQueue;
    }
}
