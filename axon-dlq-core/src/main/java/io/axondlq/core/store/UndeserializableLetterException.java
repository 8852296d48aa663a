package io.axondlq.core.store;

import java.util.UUID;

/**
 * The letter's payload (or metadata, or token) cannot be turned back into objects, typically because its class was
 * renamed or removed. The letter itself is intact: it can still be listed, exported, evicted.
 */
public class UndeserializableLetterException extends DeadLetterStoreException {

    private final UUID letterId;
    private final String payloadType;

    public UndeserializableLetterException(UUID letterId, String payloadType, Throwable cause) {
        super("Dead letter [" + letterId + "] cannot be deserialized: payload type [" + payloadType + "]"
                      + (cause == null ? " is not on the classpath" : ": " + cause.getMessage()), cause);
        this.letterId = letterId;
        this.payloadType = payloadType;
    }

    public UUID letterId() {
        return letterId;
    }

    public String payloadType() {
        return payloadType;
    }
}
