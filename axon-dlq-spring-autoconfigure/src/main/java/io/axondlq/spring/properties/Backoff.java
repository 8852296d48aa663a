package io.axondlq.spring.properties;

import java.time.Duration;

/** Exponential backoff between live attempts; the processing thread waits, so keep these small. */
public class Backoff {

    /** Wait before the second attempt. */
    private Duration initial = Duration.ofMillis(20);

    /** Factor applied to the wait after every further failure. */
    private Double multiplier = 2.0;

    /** Upper bound of any single wait. */
    private Duration max = Duration.ofMillis(500);

    public Duration getInitial() { return initial; }
    public void setInitial(Duration initial) { this.initial = initial; }
    public Double getMultiplier() { return multiplier; }
    public void setMultiplier(Double multiplier) { this.multiplier = multiplier; }
    public Duration getMax() { return max; }
    public void setMax(Duration max) { this.max = max; }
}
