package io.axondlq.core.operations;

import io.axondlq.core.store.DeadLetterStoreException;

/** The processing group has no dead-lettered sequence with this key. Nothing was changed. */
public class UnknownSequenceException extends DeadLetterStoreException {

    private final String processingGroup;
    private final String sequenceKey;

    public UnknownSequenceException(String processingGroup, String sequenceKey) {
        super("Processing group [" + processingGroup + "] has no dead-lettered sequence [" + sequenceKey + "]");
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
