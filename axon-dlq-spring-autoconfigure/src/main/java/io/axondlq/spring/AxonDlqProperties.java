package io.axondlq.spring;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of axon-dlq ({@code axon.dlq.*}). Per-group overrides live under
 * {@code axon.dlq.processing-groups.<group>.*} and fall back to the top-level values.
 */
@ConfigurationProperties("axon.dlq")
public class AxonDlqProperties {

    /** Whether axon-dlq is active at all. */
    private boolean enabled = true;

    /**
     * Processing groups that use the dead-letter queue. Empty means every processing group of a tracking or pooled
     * streaming processor.
     */
    private List<String> groups = new ArrayList<>();

    /** Retry settings for groups without an override. */
    private Retry retry = new Retry();

    /** Queue limits for groups without an override. */
    private Limits limits = new Limits();

    /** How handler attempts are isolated in the processor's transaction. */
    private Isolation isolation = Isolation.SAVEPOINT_PER_ATTEMPT;

    /** Whether a processor reset removes the group's dead letters (otherwise they are kept and a warning logged). */
    private boolean clearOnReset = false;

    /** Per-processing-group overrides of retry, limits, isolation and clear-on-reset. */
    private Map<String, GroupOverrides> processingGroups = new LinkedHashMap<>();

    /** Redelivery lease settings. */
    private Claim claim = new Claim();

    /** Database settings. */
    private Jdbc jdbc = new Jdbc();

    /** REST API settings. */
    private Rest rest = new Rest();

    /** Authorities required by the REST API when Spring Security is present. */
    private Security security = new Security();

    /** Scheduled automatic redelivery. */
    private AutoRetry autoRetry = new AutoRetry();

    /** JSON export settings. */
    private Export export = new Export();

    /** Micrometer settings. */
    private Metrics metrics = new Metrics();

    /** Health indicator settings. */
    private Health health = new Health();

    /** Retry behaviour of the live invoker. */
    public static class Retry {

        /** Attempts in total before an event is dead-lettered, the first included. */
        private Integer maxAttempts = 3;

        /** Backoff between attempts. */
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

    /** Exponential backoff between live attempts; the processing thread waits, so keep these small. */
    public static class Backoff {

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

    /** Queue bounds; a full queue stalls the segment rather than dropping events. */
    public static class Limits {

        /** Parked sequences one processing group may hold. */
        private Integer maxSequences = 10_000;

        /** Letters one sequence may hold. */
        private Integer maxSequenceSize = 10_000;

        public Integer getMaxSequences() { return maxSequences; }
        public void setMaxSequences(Integer maxSequences) { this.maxSequences = maxSequences; }
        public Integer getMaxSequenceSize() { return maxSequenceSize; }
        public void setMaxSequenceSize(Integer maxSequenceSize) { this.maxSequenceSize = maxSequenceSize; }
    }

    /** Overrides for one processing group; unset values fall back to the top level. */
    public static class GroupOverrides {

        /** Whether this group uses axon-dlq (overrides the groups list). */
        private Boolean enabled;

        /** Retry override; unset values fall back to {@code axon.dlq.retry.*}. */
        private RetryOverride retry = new RetryOverride();

        /** Limits override; unset values fall back to {@code axon.dlq.limits.*}. */
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

    /** Per-group retry override: every field is optional. */
    public static class RetryOverride {

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

    /** Per-group limits override: every field is optional. */
    public static class LimitsOverride {

        /** Parked sequences this group may hold. */
        private Integer maxSequences;

        /** Letters one sequence of this group may hold. */
        private Integer maxSequenceSize;

        public Integer getMaxSequences() { return maxSequences; }
        public void setMaxSequences(Integer maxSequences) { this.maxSequences = maxSequences; }
        public Integer getMaxSequenceSize() { return maxSequenceSize; }
        public void setMaxSequenceSize(Integer maxSequenceSize) { this.maxSequenceSize = maxSequenceSize; }
    }

    /** Redelivery leases. */
    public static class Claim {

        /** How long a redelivery holds its sequence before another node may take over; renewed per letter. */
        private Duration lease = Duration.ofSeconds(30);

        public Duration getLease() { return lease; }
        public void setLease(Duration lease) { this.lease = lease; }
    }

    /** When the schema is created by axon-dlq itself. */
    public enum InitializeSchema {
        /** Only for embedded (in-memory) databases. */
        EMBEDDED,
        /** Always (every statement is IF NOT EXISTS). */
        ALWAYS,
        /** Never: use Flyway (classpath:db/axon-dlq/{vendor}) or your own DDL. */
        NEVER
    }

    /** Database settings. */
    public static class Jdbc {

        /** Prefix of every axon-dlq table. */
        private String tablePrefix = "axon_dlq_";

        /** When axon-dlq creates its tables itself. */
        private InitializeSchema initializeSchema = InitializeSchema.EMBEDDED;

        public String getTablePrefix() { return tablePrefix; }
        public void setTablePrefix(String tablePrefix) { this.tablePrefix = tablePrefix; }
        public InitializeSchema getInitializeSchema() { return initializeSchema; }
        public void setInitializeSchema(InitializeSchema initializeSchema) { this.initializeSchema = initializeSchema; }
    }

    /** REST API. */
    public static class Rest {

        /** Whether the REST API is exposed (needs Spring MVC). */
        private boolean enabled = true;

        /** Base path of every endpoint. */
        private String basePath = "/dead-letters";

        /** Largest page size a listing accepts; larger requests are refused with 400. */
        private int maxPageSize = 500;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getBasePath() { return basePath; }
        public void setBasePath(String basePath) { this.basePath = basePath; }
        public int getMaxPageSize() { return maxPageSize; }
        public void setMaxPageSize(int maxPageSize) { this.maxPageSize = maxPageSize; }
    }

    /** Authorities checked when Spring Security is on the classpath; empty means no check. */
    public static class Security {

        /** Authority needed for GET endpoints. */
        private String readAuthority;

        /** Authority needed for redelivery, retry jobs and erasure. */
        private String writeAuthority;

        public String getReadAuthority() { return readAuthority; }
        public void setReadAuthority(String readAuthority) { this.readAuthority = readAuthority; }
        public String getWriteAuthority() { return writeAuthority; }
        public void setWriteAuthority(String writeAuthority) { this.writeAuthority = writeAuthority; }
    }

    /** Scheduled automatic redelivery of every group. */
    public static class AutoRetry {

        /** Whether letters are redelivered on a schedule. */
        private boolean enabled = false;

        /** Cron expression (Spring format, six fields) of the schedule. */
        private String schedule = "0 */15 * * * *";

        /** Most sequences redelivered per group per run. */
        private int maxSequences = 100;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public String getSchedule() { return schedule; }
        public void setSchedule(String schedule) { this.schedule = schedule; }
        public int getMaxSequences() { return maxSequences; }
        public void setMaxSequences(int maxSequences) { this.maxSequences = maxSequences; }
    }

    /** What an export contains of each payload. */
    public enum PayloadMode {
        /** The payload as stored. */
        FULL,
        /** The payload with every string value replaced by "***". */
        MASKED,
        /** No payload, only its type. */
        NONE
    }

    /** JSON export. */
    public static class Export {

        /** How payloads are exported. */
        private PayloadMode payload = PayloadMode.FULL;

        /** Metadata keys whose values are replaced by "***" in exports and letter details. */
        private List<String> maskedMetadataKeys = new ArrayList<>();

        public PayloadMode getPayload() { return payload; }
        public void setPayload(PayloadMode payload) { this.payload = payload; }
        public List<String> getMaskedMetadataKeys() { return maskedMetadataKeys; }
        public void setMaskedMetadataKeys(List<String> keys) { this.maskedMetadataKeys = keys; }
    }

    /** Micrometer. */
    public static class Metrics {

        /** How often the letter and sequence gauges are refreshed from the database. */
        private Duration refreshInterval = Duration.ofSeconds(30);

        public Duration getRefreshInterval() { return refreshInterval; }
        public void setRefreshInterval(Duration refreshInterval) { this.refreshInterval = refreshInterval; }
    }

    /** Health indicator. */
    public static class Health {

        /** Letters in one group above which the health indicator reports DEGRADED; 0 disables the check. */
        private long threshold = 1000;

        public long getThreshold() { return threshold; }
        public void setThreshold(long threshold) { this.threshold = threshold; }
    }

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
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
    public Jdbc getJdbc() { return jdbc; }
    public void setJdbc(Jdbc jdbc) { this.jdbc = jdbc; }
    public Rest getRest() { return rest; }
    public void setRest(Rest rest) { this.rest = rest; }
    public Security getSecurity() { return security; }
    public void setSecurity(Security security) { this.security = security; }
    public AutoRetry getAutoRetry() { return autoRetry; }
    public void setAutoRetry(AutoRetry autoRetry) { this.autoRetry = autoRetry; }
    public Export getExport() { return export; }
    public void setExport(Export export) { this.export = export; }
    public Metrics getMetrics() { return metrics; }
    public void setMetrics(Metrics metrics) { this.metrics = metrics; }
    public Health getHealth() { return health; }
    public void setHealth(Health health) { this.health = health; }
}
