package io.axondlq.core.redelivery;

import io.axondlq.core.store.DeadLetterStoreException;

/** The processing group does not run with axon-dlq on this node, so its letters cannot be redelivered here. */
public class UnknownProcessingGroupException extends DeadLetterStoreException {

    public UnknownProcessingGroupException(String processingGroup) {
        super("Processing group [" + processingGroup + "] does not run with axon-dlq on this node");
    }

    /** For subclasses that say more precisely why the group does not run here. */
    protected UnknownProcessingGroupException(String processingGroup, String message) {
        super(message);
    }
}
