package io.axondlq.spring.properties;

import java.time.Duration;

/** Per-group backoff override, shaped like {@code axon.dlq.retry.backoff.*}: every field is optional. */
public class BackoffOverride {

    /** Wait before the second attempt. */
    private Duration initial;

    /** Factor applied to the wait after every further failure. */
    private Double multiplier;

    /** Upper bound of any single wait. */
    private Duration max;

    public Duration getInitial() { return initial; }
    public void setInitial(Duration initial) { this.initial = initial; }
    public Double getMultiplier() { return multiplier; }
    public void setMultiplier(Double multiplier) { this.multiplier = multiplier; }
    public Duration getMax() { return max; }
    public void setMax(Duration max) { this.max = max; }
}
