package io.axondlq.core.store;

import java.time.Instant;

/**
 * Dead-letter totals of one processing group.
 *
 * @param largestSequence letters in the group's largest sequence, to tell whether a sequence is full
 */
public record GroupStatistics(String processingGroup, long letters, long sequences, Instant oldestEnqueuedAt,
                              long largestSequence) {

    public GroupStatistics(String processingGroup, long letters, long sequences, Instant oldestEnqueuedAt) {
        this(processingGroup, letters, sequences, oldestEnqueuedAt, 0);
    }

    /** Whether the group can take no new sequence, or one of its sequences no new letter. */
    public boolean isFull(DeadLetterLimits limits) {
        return sequences >= limits.maxSequences() || largestSequence >= limits.maxSequenceSize();
    }
}
