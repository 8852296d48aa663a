package io.axondlq.core.retry;

import java.time.Duration;
import java.util.Objects;

/**
 * What to do with an event whose handler just failed.
 *
 * @param delay how long to wait before the next attempt; zero unless {@code action == RETRY}
 */
public record RetryDecision(Action action, Duration delay) {

    public enum Action {
        /** Invoke the handlers again, after {@link #delay()}. */
        RETRY,
        /** Give up: dead-letter the event, which parks its sequence. */
        DEAD_LETTER,
        /** Give up and drop the event: it is logged and counted, never handled. */
        SKIP
    }

    private static final RetryDecision DEAD_LETTER = new RetryDecision(Action.DEAD_LETTER, Duration.ZERO);
    private static final RetryDecision SKIP = new RetryDecision(Action.SKIP, Duration.ZERO);

    public RetryDecision {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative");
        }
    }

    public static RetryDecision retryAfter(Duration delay) {
        return new RetryDecision(Action.RETRY, delay);
    }

    public static RetryDecision deadLetter() {
        return DEAD_LETTER;
    }

    public static RetryDecision skip() {
        return SKIP;
    }
}
