package io.axondlq.core.store;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * Bounds what a failure may cost in storage: a 100k-character message or a deep stack trace is cut, never refused,
 * because refusing would turn a poison event into a stalled processor.
 */
public final class Causes {

    /** Same bound as Axon's {@code ThrowableCause}, so causes compare equal across both queues. */
    public static final int MAX_MESSAGE_LENGTH = 1023;
    public static final int MAX_STACK_TRACE_LENGTH = 16_384;

    private Causes() {
    }

    public static String truncateMessage(String message) {
        return truncate(message, MAX_MESSAGE_LENGTH);
    }

    public static String stackTrace(Throwable throwable) {
        if (throwable == null) {
            return null;
        }
        StringWriter out = new StringWriter();
        throwable.printStackTrace(new PrintWriter(out));
        return truncate(out.toString(), MAX_STACK_TRACE_LENGTH);
    }

    static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
