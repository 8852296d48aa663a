package io.axondlq.core.store;

/** Base type of the store's own errors; database errors arrive as Spring's {@code DataAccessException}. */
public class DeadLetterStoreException extends RuntimeException {

    public DeadLetterStoreException(String message) {
        super(message);
    }

    public DeadLetterStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
