package io.axondlq.spring.properties;

import java.time.Duration;
import java.util.List;

/** Per-group retry override: every field is optional. */
public class RetryOverride {

    /** Attempts in total before an event is dead-lettered. */
    private Integer maxAttempts;

    /** Wait before the second attempt. */
    private Duration backoffInitial;

    /** Factor applied to the wait after every further failure. */
    private Double backoffMultiplier;

    /** Upper bound of any single wait. */
    private Duration backoffMax;

    /** Exception types dead-lettered after their first attempt. */
    private List<String> nonRetryableExceptions;

    /** Exception types whose events are skipped. */
    private List<String> skipExceptions;

    public Integer getMaxAttempts() { return maxAttempts; }
    public void setMaxAttempts(Integer maxAttempts) { this.maxAttempts = maxAttempts; }
    public Duration getBackoffInitial() { return backoffInitial; }
    public void setBackoffInitial(Duration backoffInitial) { this.backoffInitial = backoffInitial; }
    public Double getBackoffMultiplier() { return backoffMultiplier; }
    public void setBackoffMultiplier(Double backoffMultiplier) { this.backoffMultiplier = backoffMultiplier; }
    public Duration getBackoffMax() { return backoffMax; }
    public void setBackoffMax(Duration backoffMax) { this.backoffMax = backoffMax; }
    public List<String> getNonRetryableExceptions() { return nonRetryableExceptions; }
    public void setNonRetryableExceptions(List<String> types) { this.nonRetryableExceptions = types; }
    public List<String> getSkipExceptions() { return skipExceptions; }
    public void setSkipExceptions(List<String> types) { this.skipExceptions = types; }
}
