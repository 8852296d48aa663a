package io.axondlq.core.store;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Bounds what a failure may cost in storage: a 100k-character message or a deep stack trace is cut, never refused,
 * because refusing would turn a poison event into a stalled processor. Cleaning and cutting is {@link StoredText}'s.
 */
public final class Causes {

    /** Same bound as Axon's {@code ThrowableCause}, so causes compare equal across both queues. */
    public static final int MAX_MESSAGE_LENGTH = StoredText.CAUSE_MESSAGE;
    public static final int MAX_STACK_TRACE_LENGTH = StoredText.STACK_TRACE;

    private Causes() {
    }

    /** The message as stored: cleaned and cut to {@link #MAX_MESSAGE_LENGTH}. */
    public static String truncateMessage(String message) {
        return StoredText.text(message, MAX_MESSAGE_LENGTH);
    }

    /** The exception type as stored: cleaned and cut to fit its (indexed) column. */
    public static String type(String causeType) {
        return StoredText.text(causeType, StoredText.CAUSE_TYPE, StoredText.CAUSE_TYPE_BYTES);
    }

    /** The stack trace as stored: cleaned and cut to {@link #MAX_STACK_TRACE_LENGTH}. */
    public static String stackTrace(String stackTrace) {
        return StoredText.text(stackTrace, MAX_STACK_TRACE_LENGTH);
    }

    public static String stackTrace(Throwable throwable) {
        if (throwable == null) {
            return null;
        }
        StringWriter out = new StringWriter();
        throwable.printStackTrace(new PrintWriter(out));
        return stackTrace(out.toString());
    }
}
