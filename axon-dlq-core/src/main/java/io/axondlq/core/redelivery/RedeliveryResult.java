package io.axondlq.core.redelivery;

import java.util.UUID;

/**
 * What a redelivery of one sequence did.
 *
 * @param redelivered        letters handled successfully and removed
 * @param remaining          letters left in the sequence
 * @param stoppedAtLetterId  the letter that failed, or null
 * @param failureType        exception type of that failure, or null
 * @param failureMessage     its message, or null
 */
public record RedeliveryResult(String processingGroup,
                               String sequenceKey,
                               Outcome outcome,
                               int redelivered,
                               long remaining,
                               UUID stoppedAtLetterId,
                               String failureType,
                               String failureMessage) {

    public enum Outcome {
        /** Every letter was redelivered; the sequence is gone and live events flow again. */
        DRAINED,
        /** A letter failed again: it keeps its place (attempts + 1) and the sequence stays parked. */
        FAILED,
        /** A letter's payload cannot be deserialized; it is kept unchanged. */
        UNREADABLE,
        /**
         * The lease was lost: it expired and another node took the sequence over (or the sequence was evicted
         * meanwhile). Nothing of the letter in progress was committed; the new holder decides about it.
         */
        LEASE_LOST,
        /** There was nothing to redeliver. */
        NOT_FOUND
    }

    static RedeliveryResult notFound(String processingGroup, String sequenceKey) {
        return new RedeliveryResult(processingGroup, sequenceKey, Outcome.NOT_FOUND, 0, 0, null, null, null);
    }
}
