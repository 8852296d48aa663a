package io.axondlq.core.store;

import java.util.UUID;

/**
 * The letter's payload (or metadata, or token) cannot be turned back into objects, typically because its class was
 * renamed or removed and no upcaster changes it. The letter itself is intact: it can still be listed, exported,
 * evicted.
 */
public class UndeserializableLetterException extends DeadLetterStoreException {

    private final UUID letterId;
    private final String payloadType;
    private final String reason;

    public UndeserializableLetterException(UUID letterId, String payloadType, Throwable cause) {
        this(letterId, payloadType,
             "payload type [" + payloadType + "]"
                     + (cause == null ? " is not on the classpath" : ": " + cause.getMessage()),
             cause);
    }

    /**
     * @param reason what an operator reads, e.g. {@code payload type com.acme.OrderPlaced revision 1 cannot be read:
     *               class not found and no upcaster changes it}
     */
    public UndeserializableLetterException(UUID letterId, String payloadType, String reason, Throwable cause) {
        super("Dead letter [" + letterId + "] cannot be deserialized: " + reason, cause);
        this.letterId = letterId;
        this.payloadType = payloadType;
        this.reason = reason;
    }

    public UUID letterId() {
        return letterId;
    }

    public String payloadType() {
        return payloadType;
    }

    /** Why the letter cannot be read, without the letter's id. */
    public String reason() {
        return reason;
    }
}
