package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterStoreException;

/**
 * Two different sequence identifiers hash to the same stored key (see {@link SequenceKeys}): the letter is refused
 * rather than filed into the other identifier's sequence. With SHA-256 this is not expected to ever happen; if it
 * does, register a {@code sequenceKeyEncoder} that keeps these identifiers apart.
 */
public class SequenceKeyCollisionException extends DeadLetterStoreException {

    private final String processingGroup;
    private final String sequenceKey;

    public SequenceKeyCollisionException(String processingGroup, String sequenceKey) {
        super("Sequence key [" + sequenceKey + "] of processing group [" + processingGroup
                      + "] already belongs to a different sequence identifier (hash collision); the letter is refused "
                      + "so that the two sequences are not merged");
        this.processingGroup = processingGroup;
        this.sequenceKey = sequenceKey;
    }

    public String processingGroup() {
        return processingGroup;
    }

    public String sequenceKey() {
        return sequenceKey;
    }
}
