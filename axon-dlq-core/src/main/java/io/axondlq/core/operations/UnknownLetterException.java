package io.axondlq.core.operations;

import io.axondlq.core.store.DeadLetterStoreException;

import java.util.UUID;

/** No dead letter has this id (never had, or it was redelivered or evicted meanwhile). Nothing was changed. */
public class UnknownLetterException extends DeadLetterStoreException {

    private final UUID letterId;

    public UnknownLetterException(UUID letterId) {
        super("Dead letter [" + letterId + "] does not exist");
        this.letterId = letterId;
    }

    public UUID letterId() {
        return letterId;
    }
}
