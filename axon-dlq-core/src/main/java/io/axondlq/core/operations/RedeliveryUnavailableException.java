package io.axondlq.core.operations;

import io.axondlq.core.store.DeadLetterStoreException;

/** Redelivery needs axon-dlq's event processing module, which this application does not run. */
public class RedeliveryUnavailableException extends DeadLetterStoreException {

    public RedeliveryUnavailableException() {
        super("Redelivery needs axon-dlq's event processing module, which is not configured in this application");
    }
}
