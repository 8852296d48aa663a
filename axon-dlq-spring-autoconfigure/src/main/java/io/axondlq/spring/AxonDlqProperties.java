package io.axondlq.spring;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.store.NodeId;
import io.axondlq.spring.GroupSettingsResolver.InvalidDeadLetterPropertyException;
import io.axondlq.spring.properties.AutoRetry;
import io.axondlq.spring.properties.Claim;
import io.axondlq.spring.properties.Export;
import io.axondlq.spring.properties.GroupOverrides;
import io.axondlq.spring.properties.Health;
import io.axondlq.spring.properties.Jdbc;
import io.axondlq.spring.properties.Limits;
import io.axondlq.spring.properties.Metrics;
import io.axondlq.spring.properties.Redelivery;
import io.axondlq.spring.properties.Rest;
import io.axondlq.spring.properties.Retry;
import io.axondlq.spring.properties.RetryJobs;
import io.axondlq.spring.properties.Security;
import io.axondlq.spring.properties.Ui;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Configuration of axon-dlq ({@code axon.dlq.*}). Per-group overrides live under
 * {@code axon.dlq.processing-groups.<group>.*} ({@code axon.dlq.processing-groups[<group>].*} when the group name has
 * dots) and fall back to the top-level values.
 */
@ConfigurationProperties("axon.dlq")
public class AxonDlqProperties implements InitializingBean {

    /** The table names axon-dlq's SQL accepts; the JDBC classes check the same. */
    private static final Pattern TABLE_PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,40}");

    /** Whether axon-dlq is active at all. */
    private boolean enabled = true;

    /**
     * Names this node in the attempt history of letters, in redelivery leases ("claimed by") and as the owner of
     * retry jobs and automatic-retry leases. Defaults to host:pid.
     */
    private String nodeId = NodeId.local();

    /**
     * Processing groups that use the dead-letter queue, by exact name. Empty means every processing group, and a group
     * in a subscribing processor then fails the start (axon-dlq needs a tracking or pooled streaming processor): list
     * the groups here, or exclude that one with its processing-groups entry's enabled=false. An entry that names no
     * processing group of the application fails the start.
     */
    private List<String> groups = new ArrayList<>();

    /** Retry settings for groups without an override. */
    @NestedConfigurationProperty
    private Retry retry = new Retry();

    /** Queue limits for groups without an override. */
    @NestedConfigurationProperty
    private Limits limits = new Limits();

    /**
     * How a failed handler attempt is undone in the processor's transaction: {@code checkpoint} (one savepoint per
     * batch; on a failure the batch's earlier events are re-run and the failing one isolated) or
     * {@code savepoint-per-attempt} (a savepoint around every attempt: nothing re-runs, two round trips per event).
     * A processor runs checkpointed only if all of its groups ask for it.
     */
    private Isolation isolation = Isolation.CHECKPOINT;

    /**
     * Whether a processor reset removes the group's dead letters, as Axon's own dead-lettering invoker does. When
     * kept, the replayed events of their sequences are parked behind them until they are redelivered or evicted.
     */
    private boolean clearOnReset = true;

    /**
     * Per-processing-group overrides of enabled, retry, limits, isolation and clear-on-reset, keyed by group name as
     * Spring Boot compares property names: ignoring case and punctuation, so an environment variable's key
     * (AXON_DLQ_PROCESSINGGROUPS_BILLINGVIEW_ENABLED gives "billingview") applies to a group BillingView or
     * billing-view. All spellings of a key bind to the same values, each property from the source of highest
     * precedence; two spellings setting one property to different values in one source, or a key of groups that
     * differ only in case or punctuation, fail the start. A name with dots (Axon names a group without a
     * ProcessingGroup annotation after the handler's package) goes in brackets:
     * axon.dlq.processing-groups[com.acme.orders].enabled=false (in YAML the key "[com.acme.orders]"). A key that
     * names no processing group of the application fails the start.
     */
    private Map<String, GroupOverrides> processingGroups = new LinkedHashMap<>();

    /** Redelivery lease settings. */
    @NestedConfigurationProperty
    private Claim claim = new Claim();

    /** Synchronous redelivery (REST, the Java API) settings. */
    @NestedConfigurationProperty
    private Redelivery redelivery = new Redelivery();

    /** Database settings. */
    @NestedConfigurationProperty
    private Jdbc jdbc = new Jdbc();

    /** REST API settings. */
    @NestedConfigurationProperty
    private Rest rest = new Rest();

    /** Authorities required by the REST API when Spring Security is present. */
    @NestedConfigurationProperty
    private Security security = new Security();

    /** Scheduled automatic redelivery. */
    @NestedConfigurationProperty
    private AutoRetry autoRetry = new AutoRetry();

    /** Bulk retry jobs. */
    @NestedConfigurationProperty
    private RetryJobs retryJobs = new RetryJobs();

    /** JSON export settings. */
    @NestedConfigurationProperty
    private Export export = new Export();

    /** Micrometer settings. */
    @NestedConfigurationProperty
    private Metrics metrics = new Metrics();

    /** Health indicator settings. */
    @NestedConfigurationProperty
    private Health health = new Health();

    /** The operator dashboard in the browser. */
    @NestedConfigurationProperty
    private Ui ui = new Ui();

    /**
     * Checks, once bound, the values that the store, the module and the jobs would otherwise reject deep inside
     * Axon's or their own start-up without naming the property.
     */
    @Override
    public void afterPropertiesSet() {
        if (nodeId == null || nodeId.isBlank()) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.node-id may not be blank, was [" + nodeId + "]; leave it unset for host:pid", null);
        }
        Duration lease = claim.getLease();
        // The store takes a lease in whole milliseconds: the module refuses one below 1 ms, without the property's name.
        if (lease == null || lease.isNegative() || lease.toMillis() < 1) {
            throw new InvalidDeadLetterPropertyException("axon.dlq.claim.lease must be at least 1ms, was " + lease,
                                                         null);
        }
        String prefix = jdbc.getTablePrefix();
        if (prefix == null || !TABLE_PREFIX.matcher(prefix).matches()) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.jdbc.table-prefix must be a letter or underscore followed by at most 40 letters, digits "
                            + "or underscores (" + TABLE_PREFIX + "), was [" + prefix + "]", null);
        }
    }

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public String getNodeId() { return nodeId; }
    public void setNodeId(String nodeId) { this.nodeId = nodeId; }
    public List<String> getGroups() { return groups; }
    public void setGroups(List<String> groups) { this.groups = groups; }
    public Retry getRetry() { return retry; }
    public void setRetry(Retry retry) { this.retry = retry; }
    public Limits getLimits() { return limits; }
    public void setLimits(Limits limits) { this.limits = limits; }
    public Isolation getIsolation() { return isolation; }
    public void setIsolation(Isolation isolation) { this.isolation = isolation; }
    public boolean isClearOnReset() { return clearOnReset; }
    public void setClearOnReset(boolean clearOnReset) { this.clearOnReset = clearOnReset; }
    public Map<String, GroupOverrides> getProcessingGroups() { return processingGroups; }
    public void setProcessingGroups(Map<String, GroupOverrides> processingGroups) { this.processingGroups = processingGroups; }
    public Claim getClaim() { return claim; }
    public void setClaim(Claim claim) { this.claim = claim; }
    public Redelivery getRedelivery() { return redelivery; }
    public void setRedelivery(Redelivery redelivery) { this.redelivery = redelivery; }
    public Jdbc getJdbc() { return jdbc; }
    public void setJdbc(Jdbc jdbc) { this.jdbc = jdbc; }
    public Rest getRest() { return rest; }
    public void setRest(Rest rest) { this.rest = rest; }
    public Security getSecurity() { return security; }
    public void setSecurity(Security security) { this.security = security; }
    public AutoRetry getAutoRetry() { return autoRetry; }
    public void setAutoRetry(AutoRetry autoRetry) { this.autoRetry = autoRetry; }
    public RetryJobs getRetryJobs() { return retryJobs; }
    public void setRetryJobs(RetryJobs retryJobs) { this.retryJobs = retryJobs; }
    public Export getExport() { return export; }
    public void setExport(Export export) { this.export = export; }
    public Metrics getMetrics() { return metrics; }
    public void setMetrics(Metrics metrics) { this.metrics = metrics; }
    public Health getHealth() { return health; }
    public void setHealth(Health health) { this.health = health; }
    public Ui getUi() { return ui; }
    public void setUi(Ui ui) { this.ui = ui; }
}
