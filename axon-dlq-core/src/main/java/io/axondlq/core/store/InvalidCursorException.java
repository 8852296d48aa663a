package io.axondlq.core.store;

/** A paging cursor that this store did not hand out (forged, truncated, or from another listing). */
public class InvalidCursorException extends DeadLetterStoreException {

    public InvalidCursorException(String cursor) {
        super("Invalid cursor [" + (cursor.length() > 64 ? cursor.substring(0, 64) + "…" : cursor) + "]");
    }
}
