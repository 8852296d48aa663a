package io.axondlq.core.retry;

import org.axonframework.common.AxonConfigurationException;
import org.axonframework.common.AxonNonTransientException;
import org.axonframework.eventhandling.EventMessage;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Retries in place with exponential backoff, then dead-letters. Exceptions of a non-retryable type (anywhere in the
 * cause chain) are dead-lettered after their first attempt; exceptions of a skip type are dropped.
 * <p>
 * Defaults: 3 attempts, 20 ms initial backoff, multiplier 2, at most 500 ms per wait. A poison event therefore holds
 * its segment for about 60 ms before it is dead-lettered. Default non-retryable types are Axon's
 * {@link AxonNonTransientException} (serialization and conversion errors among them), {@link ClassCastException} and
 * {@link UnsupportedOperationException}: retrying them cannot succeed.
 */
public final class ExponentialBackoffRetryPolicy implements RetryPolicy {

    public static final List<Class<? extends Throwable>> DEFAULT_NON_RETRYABLE =
            List.of(AxonNonTransientException.class, ClassCastException.class, UnsupportedOperationException.class);

    private final int maxAttempts;
    private final Duration initialBackoff;
    private final double multiplier;
    private final Duration maxBackoff;
    private final List<Class<? extends Throwable>> nonRetryable;
    private final List<Class<? extends Throwable>> skipped;

    private ExponentialBackoffRetryPolicy(Builder builder) {
        this.maxAttempts = builder.maxAttempts;
        this.initialBackoff = builder.initialBackoff;
        this.multiplier = builder.multiplier;
        this.maxBackoff = builder.maxBackoff;
        this.nonRetryable = List.copyOf(builder.nonRetryable);
        this.skipped = List.copyOf(builder.skipped);
    }

    public static Builder builder() {
        return new Builder();
    }

    public static ExponentialBackoffRetryPolicy defaults() {
        return builder().build();
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    @Override
    public RetryDecision decide(EventMessage<?> event, Throwable failure, int failedAttempts) {
        if (matches(failure, skipped)) {
            return RetryDecision.skip();
        }
        if (failedAttempts >= maxAttempts || matches(failure, nonRetryable)) {
            return RetryDecision.deadLetter();
        }
        return RetryDecision.retryAfter(backoff(failedAttempts));
    }

    /** Wait before attempt {@code failedAttempts + 1}. */
    Duration backoff(int failedAttempts) {
        double millis = millis(initialBackoff) * Math.pow(multiplier, failedAttempts - 1);
        return millis >= millis(maxBackoff) ? maxBackoff : Duration.ofMillis((long) millis);
    }

    /** In a double: Duration.toMillis() overflows for what the builder accepts, such as ChronoUnit.FOREVER. */
    private static double millis(Duration duration) {
        return duration.getSeconds() * 1000.0 + duration.getNano() / 1_000_000;
    }

    private static boolean matches(Throwable failure, List<Class<? extends Throwable>> types) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            for (Class<? extends Throwable> type : types) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    public static final class Builder {

        private int maxAttempts = 3;
        private Duration initialBackoff = Duration.ofMillis(20);
        private double multiplier = 2.0;
        private Duration maxBackoff = Duration.ofMillis(500);
        private final List<Class<? extends Throwable>> nonRetryable = new ArrayList<>(DEFAULT_NON_RETRYABLE);
        private final List<Class<? extends Throwable>> skipped = new ArrayList<>();

        private Builder() {
        }

        /** Attempts in total, the first included; 1 means "dead-letter at the first failure". */
        public Builder maxAttempts(int maxAttempts) {
            if (maxAttempts < 1) {
                throw new AxonConfigurationException("maxAttempts must be >= 1, was " + maxAttempts);
            }
            this.maxAttempts = maxAttempts;
            return this;
        }

        public Builder initialBackoff(Duration initialBackoff) {
            if (initialBackoff == null || initialBackoff.isNegative()) {
                throw new AxonConfigurationException("initialBackoff must be >= 0, was " + initialBackoff);
            }
            this.initialBackoff = initialBackoff;
            return this;
        }

        public Builder multiplier(double multiplier) {
            if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
                throw new AxonConfigurationException("multiplier must be >= 1, was " + multiplier);
            }
            this.multiplier = multiplier;
            return this;
        }

        public Builder maxBackoff(Duration maxBackoff) {
            if (maxBackoff == null || maxBackoff.isNegative()) {
                throw new AxonConfigurationException("maxBackoff must be >= 0, was " + maxBackoff);
            }
            this.maxBackoff = maxBackoff;
            return this;
        }

        /** Replaces the non-retryable types (the defaults included). */
        public Builder nonRetryable(List<Class<? extends Throwable>> types) {
            if (types == null || types.stream().anyMatch(Objects::isNull)) {
                throw new AxonConfigurationException("nonRetryable types may not be null");
            }
            nonRetryable.clear();
            nonRetryable.addAll(types);
            return this;
        }

        /** Exception types whose events are dropped (logged and counted) instead of dead-lettered. */
        public Builder skip(List<Class<? extends Throwable>> types) {
            if (types == null || types.stream().anyMatch(Objects::isNull)) {
                throw new AxonConfigurationException("skip types may not be null");
            }
            skipped.clear();
            skipped.addAll(types);
            return this;
        }

        public ExponentialBackoffRetryPolicy build() {
            if (maxBackoff.compareTo(initialBackoff) < 0) {
                throw new AxonConfigurationException(
                        "maxBackoff (" + maxBackoff + ") must be >= initialBackoff (" + initialBackoff + ")");
            }
            return new ExponentialBackoffRetryPolicy(this);
        }
    }
}
