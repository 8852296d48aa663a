package io.axondlq.spring.properties;

import org.springframework.boot.context.properties.NestedConfigurationProperty;

import java.util.ArrayList;
import java.util.List;

/** Retry behaviour of the live invoker. */
public class Retry {

    /** Attempts in total before an event is dead-lettered, the first included. */
    private Integer maxAttempts = 3;

    /** Backoff between attempts. */
    @NestedConfigurationProperty
    private Backoff backoff = new Backoff();

    /**
     * Exception types (fully qualified names) dead-lettered after their first attempt. Empty keeps the defaults:
     * Axon's AxonNonTransientException (serialization, conversion), ClassCastException,
     * UnsupportedOperationException.
     */
    private List<String> nonRetryableExceptions = new ArrayList<>();

    /** Exception types (fully qualified names) whose events are skipped: logged and counted, not dead-lettered. */
    private List<String> skipExceptions = new ArrayList<>();

    public Integer getMaxAttempts() { return maxAttempts; }
    public void setMaxAttempts(Integer maxAttempts) { this.maxAttempts = maxAttempts; }
    public Backoff getBackoff() { return backoff; }
    public void setBackoff(Backoff backoff) { this.backoff = backoff; }
    public List<String> getNonRetryableExceptions() { return nonRetryableExceptions; }
    public void setNonRetryableExceptions(List<String> types) { this.nonRetryableExceptions = types; }
    public List<String> getSkipExceptions() { return skipExceptions; }
    public void setSkipExceptions(List<String> types) { this.skipExceptions = types; }
}
