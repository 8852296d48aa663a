package io.axondlq.spring.properties;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

/** Overrides for one processing group; unset values fall back to the top level. */
public class GroupOverrides {

    /** Whether this group uses axon-dlq (overrides the groups list). */
    private Boolean enabled;

    /** Retry override; unset values fall back to axon.dlq.retry.*. */
    @NestedConfigurationProperty
    private RetryOverride retry = new RetryOverride();

    /** Limits override; unset values fall back to axon.dlq.limits.*. */
    @NestedConfigurationProperty
    private LimitsOverride limits = new LimitsOverride();

    /** Isolation override. */
    private Isolation isolation;

    /** Clear-on-reset override. */
    private Boolean clearOnReset;

    public Boolean getEnabled() { return enabled; }
    public void setEnabled(Boolean enabled) { this.enabled = enabled; }
    public RetryOverride getRetry() { return retry; }
    public void setRetry(RetryOverride retry) { this.retry = retry; }
    public LimitsOverride getLimits() { return limits; }
    public void setLimits(LimitsOverride limits) { this.limits = limits; }
    public Isolation getIsolation() { return isolation; }
    public void setIsolation(Isolation isolation) { this.isolation = isolation; }
    public Boolean getClearOnReset() { return clearOnReset; }
    public void setClearOnReset(Boolean clearOnReset) { this.clearOnReset = clearOnReset; }
}
