package io.axondlq.spring.properties;

import org.springframework.boot.context.properties.NestedConfigurationProperty;

import java.time.Duration;
import java.util.List;

/**
 * Per-group retry override: every field is optional. The backoff is nested as at the top level
 * ({@code retry.backoff.initial}); the flat {@code retry.backoff-initial}, {@code -multiplier} and {@code -max} of
 * earlier versions still work but are deprecated, and setting both shapes of one value fails the start.
 */
public class RetryOverride {

    /** Attempts in total before an event is dead-lettered. */
    private Integer maxAttempts;

    /** Backoff override; unset values fall back to axon.dlq.retry.backoff.*. */
    @NestedConfigurationProperty
    private BackoffOverride backoff = new BackoffOverride();

    private Duration backoffInitial;

    private Double backoffMultiplier;

    private Duration backoffMax;

    /** Exception types dead-lettered after their first attempt. */
    private List<String> nonRetryableExceptions;

    /** Exception types whose events are skipped. */
    private List<String> skipExceptions;

    public Integer getMaxAttempts() { return maxAttempts; }
    public void setMaxAttempts(Integer maxAttempts) { this.maxAttempts = maxAttempts; }
    public BackoffOverride getBackoff() { return backoff; }
    public void setBackoff(BackoffOverride backoff) { this.backoff = backoff; }

    /**
     * Wait before the second attempt.
     *
     * @deprecated use {@code retry.backoff.initial}, shaped as at the top level
     */
    @Deprecated
    public Duration getBackoffInitial() { return backoffInitial; }

    @Deprecated
    public void setBackoffInitial(Duration backoffInitial) { this.backoffInitial = backoffInitial; }

    /**
     * Factor applied to the wait after every further failure.
     *
     * @deprecated use {@code retry.backoff.multiplier}, shaped as at the top level
     */
    @Deprecated
    public Double getBackoffMultiplier() { return backoffMultiplier; }

    @Deprecated
    public void setBackoffMultiplier(Double backoffMultiplier) { this.backoffMultiplier = backoffMultiplier; }

    /**
     * Upper bound of any single wait.
     *
     * @deprecated use {@code retry.backoff.max}, shaped as at the top level
     */
    @Deprecated
    public Duration getBackoffMax() { return backoffMax; }

    @Deprecated
    public void setBackoffMax(Duration backoffMax) { this.backoffMax = backoffMax; }

    public List<String> getNonRetryableExceptions() { return nonRetryableExceptions; }
    public void setNonRetryableExceptions(List<String> types) { this.nonRetryableExceptions = types; }
    public List<String> getSkipExceptions() { return skipExceptions; }
    public void setSkipExceptions(List<String> types) { this.skipExceptions = types; }
}
