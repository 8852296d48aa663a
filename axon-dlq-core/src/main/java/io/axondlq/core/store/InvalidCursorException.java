package io.axondlq.core.store;

/** A paging cursor that this store did not hand out (forged, truncated, or from another listing). */
public class InvalidCursorException extends DeadLetterStoreException {

    public InvalidCursorException(String cursor) {
        super("Invalid cursor [" + StoredText.shorten(cursor, 64) + "]");
    }
}
