package io.axondlq.spring;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.store.NodeId;
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
     * Names this node in the attempt history of letters, in redelivery leases ("claimed by") and as the owner of
     * retry jobs and automatic-retry leases. Defaults to host:pid.
     */
    private String nodeId = NodeId.local();

    /**
     * Processing groups that use the dead-letter queue. Empty means every processing group of a tracking or pooled
     * streaming processor.
     */
    private List<String> groups = new ArrayList<>();

    /** Retry settings for groups without an override. */
    private Retry retry = new Retry();

    /** Queue limits for groups without an override. */
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

    /** Per-processing-group overrides of retry, limits, isolation and clear-on-reset. */
    private Map<String, GroupOverrides> processingGroups = new LinkedHashMap<>();

    /** Redelivery lease settings. */
    private Claim claim = new Claim();

    /** Synchronous redelivery (REST, the Java API) settings. */
    private Redelivery redelivery = new Redelivery();

    /** Database settings. */
    private Jdbc jdbc = new Jdbc();

    /** REST API settings. */
    private Rest rest = new Rest();

    /** Authorities required by the REST API when Spring Security is present. */
    private Security security = new Security();

    /** Scheduled automatic redelivery. */
    private AutoRetry autoRetry = new AutoRetry();

    /** Bulk retry jobs. */
    private RetryJobs retryJobs = new RetryJobs();

    /** JSON export settings. */
    private Export export = new Export();

    /** Micrometer settings. */
    private Metrics metrics = new Metrics();

    /** Health indicator settings. */
    private Health health = new Health();

    /** The operator dashboard in the browser. */
    private Ui ui = new Ui();

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

        /** Retry override; unset values fall back to axon.dlq.retry.*. */
        private RetryOverride retry = new RetryOverride();

        /** Limits override; unset values fall back to axon.dlq.limits.*. */
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

        /**
         * How long a redelivery holds its sequence before another node may take over, by the database's clock;
         * renewed by every letter's transaction. Make it longer than the slowest letter, whose work is otherwise
         * rolled back and redone by the node that took over.
         */
        private Duration lease = Duration.ofSeconds(30);

        public Duration getLease() { return lease; }
        public void setLease(Duration lease) { this.lease = lease; }
    }

    /** Synchronous redelivery: a sequence redelivered on the caller's thread (REST, the Java API). */
    public static class Redelivery {

        /**
         * Most letters one synchronous sequence redelivery ({@code .../sequences/{key}/redeliver},
         * {@code /letters/{id}/redeliver-sequence}, {@code redeliver-oldest}, the Java API) handles; the request then
         * answers {@code LIMIT_REACHED} with the letters left in {@code remaining}, for another call or a retry job.
         * Retry jobs and automatic retry drain whole sequences. Must be positive.
         */
        private int maxLettersPerRequest = 1000;

        public int getMaxLettersPerRequest() { return maxLettersPerRequest; }
        public void setMaxLettersPerRequest(int maxLettersPerRequest) { this.maxLettersPerRequest = maxLettersPerRequest; }
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

        /**
         * Whether the REST API is exposed (it also needs a servlet web application with Spring MVC). Unset: on when
         * Spring Security is on the classpath, off otherwise. Set to true to expose it even without Spring Security
         * (unprotected; a warning is logged at start-up), to false to turn it off.
         */
        private Boolean enabled;

        /** Base path of every endpoint. */
        private String basePath = "/dead-letters";

        /** Largest page size a listing accepts; larger requests are refused with 400. */
        private int maxPageSize = 500;

        public Boolean getEnabled() { return enabled; }
        public void setEnabled(Boolean enabled) { this.enabled = enabled; }
        public String getBasePath() { return basePath; }
        public void setBasePath(String basePath) { this.basePath = basePath; }
        public int getMaxPageSize() { return maxPageSize; }
        public void setMaxPageSize(int maxPageSize) { this.maxPageSize = maxPageSize; }
    }

    /**
     * Authorities the REST API checks when Spring Security is on the classpath (authentication itself is the
     * application's Spring Security setup): no authentication → 401, a missing authority → 403. An empty value
     * disables that check: with an empty read authority anyone who can reach the API may read, with an empty write
     * authority anyone may redeliver, start and stop retry jobs, evict and erase.
     */
    public static class Security {

        /**
         * Authority needed for the read endpoints (GET: listings, letters, exports, retry jobs, the audit log); the
         * write authority grants reading too. Empty: reads are not checked.
         */
        private String readAuthority = "DLQ_READ";

        /**
         * Authority needed for redelivery, retry jobs (start, stop), eviction and erasure. Empty: writes are not
         * checked.
         */
        private String writeAuthority = "DLQ_ADMIN";

        /**
         * The WWW-Authenticate challenge of a 401 answer (a request without an authenticated user), e.g.
         * {@code Bearer} for an OAuth2 resource server. Match your application's authentication.
         */
        private String challenge = "Basic realm=\"axon-dlq\"";

        /**
         * Authority that shows letter details and listings in full (payload, cause messages, stack traces,
         * diagnostics) although axon.dlq.export.payload is masked or none; everyone else sees them as an export would.
         * Neither the read nor the write authority grants it. Without the ROLE_ prefix also met by the role of that
         * name; your RoleHierarchy bean applies. Empty: nobody is exempt. Exports always follow
         * axon.dlq.export.payload; masked metadata keys stay masked for everyone.
         */
        private String payloadAuthority = "DLQ_PAYLOAD";

        public String getReadAuthority() { return readAuthority; }
        public void setReadAuthority(String readAuthority) { this.readAuthority = readAuthority; }
        public String getWriteAuthority() { return writeAuthority; }
        public void setWriteAuthority(String writeAuthority) { this.writeAuthority = writeAuthority; }
        public String getChallenge() { return challenge; }
        public void setChallenge(String challenge) { this.challenge = challenge; }
        public String getPayloadAuthority() { return payloadAuthority; }
        public void setPayloadAuthority(String payloadAuthority) { this.payloadAuthority = payloadAuthority; }
    }

    /**
     * Automatic redelivery of parked sequences on a schedule keyed on how many automatic retries each sequence has
     * had, run for each processing group by one node at a time. Every automatic redelivery is written to the audit log
     * with the actor {@code system} and counted in {@code axon.dlq.redeliveries}.
     */
    public static class AutoRetry {

        /** Whether parked sequences are redelivered automatically. */
        private boolean enabled = false;

        /**
         * Waits before the automatic retries of a sequence: retry k (counting from 0) is due once the sequence's last
         * touch (when it was parked or last failed, automatically or not) plus the k-th value has passed. A sequence
         * that has had as many automatic retries as there are values waits for an operator. Default 1m, 5m, 30m, 2h,
         * 6h.
         */
        private List<Duration> schedule = new ArrayList<>(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
                                                                  Duration.ofMinutes(30), Duration.ofHours(2),
                                                                  Duration.ofHours(6)));

        /**
         * How often each node looks for due sequences. The node holding a processing group's automatic-retry lease
         * renews it every poll and before every redelivery; the lease lasts three poll intervals (at least
         * axon.dlq.claim.lease), so another node takes over at most that long after the holder died.
         */
        private Duration pollInterval = Duration.ofSeconds(30);

        /** Most sequences of one processing group redelivered per poll; further due sequences wait for the next. */
        private int batchSize = 100;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
        public List<Duration> getSchedule() { return schedule; }
        public void setSchedule(List<Duration> schedule) { this.schedule = schedule; }
        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
        public int getBatchSize() { return batchSize; }
        public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
    }

    /** Bulk retry jobs (started through the REST API). */
    public static class RetryJobs {

        /**
         * How often each node looks for retry jobs whose next batch is due. The node running a batch holds the job's
         * lease for axon.dlq.claim.lease, renewed while it works.
         */
        private Duration pollInterval = Duration.ofSeconds(1);

        /**
         * How long an Idempotency-Key names the retry job it created. Keys are scoped to the job's processing group;
         * once expired, the same key creates a new job.
         */
        private Duration idempotencyKeyTtl = Duration.ofHours(24);

        public Duration getPollInterval() { return pollInterval; }
        public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
        public Duration getIdempotencyKeyTtl() { return idempotencyKeyTtl; }
        public void setIdempotencyKeyTtl(Duration idempotencyKeyTtl) { this.idempotencyKeyTtl = idempotencyKeyTtl; }
    }

    /**
     * What an export (and, for callers without axon.dlq.security.payload-authority, a letter detail or listing) shows
     * of each letter's payload and failure texts.
     */
    public enum PayloadMode {
        /** The payload as stored, cause messages and stack traces in full. */
        FULL,
        /**
         * The payload's structure with every value (string, number, boolean, at any depth) replaced by "***"; cause
         * messages, the messages in stack traces and diagnostics values masked too.
         */
        MASKED,
        /** No payload, only its type; cause messages, stack-trace messages and diagnostics masked as in MASKED. */
        NONE
    }

    /** JSON export. */
    public static class Export {

        /**
         * How payloads (and cause messages, stack traces, diagnostics) are exported; letter details and listings
         * follow it too for callers without axon.dlq.security.payload-authority.
         */
        private PayloadMode payload = PayloadMode.FULL;

        /**
         * Metadata keys whose values are replaced by "***" in exports, letter details and listings, for every caller
         * and payload mode: compared ignoring case, at any depth (also inside nested objects and arrays). Metadata
         * that can be read neither as JSON nor by the application's serializer is then omitted.
         */
        private List<String> maskedMetadataKeys = new ArrayList<>();

        /**
         * How many exports may stream at the same time on this node (each holds a request thread and a database
         * connection for its whole length); one more is refused with 429 and a Retry-After header. 0 turns exports
         * off.
         */
        private int maxConcurrent = 2;

        public PayloadMode getPayload() { return payload; }
        public void setPayload(PayloadMode payload) { this.payload = payload; }
        public List<String> getMaskedMetadataKeys() { return maskedMetadataKeys; }
        public void setMaskedMetadataKeys(List<String> keys) { this.maskedMetadataKeys = keys; }
        public int getMaxConcurrent() { return maxConcurrent; }
        public void setMaxConcurrent(int maxConcurrent) { this.maxConcurrent = maxConcurrent; }
    }

    /** Micrometer. */
    public static class Metrics {

        /**
         * How often the gauges axon.dlq.letters, axon.dlq.sequences and axon.dlq.oldest.age are refreshed, with one
         * statistics query for all processing groups (never a query per scrape).
         */
        private Duration refreshInterval = Duration.ofSeconds(30);

        public Duration getRefreshInterval() { return refreshInterval; }
        public void setRefreshInterval(Duration refreshInterval) { this.refreshInterval = refreshInterval; }
    }

    /**
     * The {@code deadLetters} health indicator (Spring Boot Actuator): letters, sequences and the oldest letter per
     * processing group. It reports UP even when there are dead letters (a liveness probe must not restart an
     * application over its dead-letter queue) unless a threshold is set.
     */
    public static class Health {

        /**
         * Letters in one processing group above which the indicator reports threshold-status instead of UP;
         * 0 turns the threshold off.
         */
        private long threshold = 0;

        /**
         * Status reported when a processing group is above the threshold. A status missing from
         * management.endpoint.health.status.order (such as the default, DEGRADED) leaves the overall health
         * as it is; add it there, or use e.g. OUT_OF_SERVICE, to let it count.
         */
        private String thresholdStatus = "DEGRADED";

        public long getThreshold() { return threshold; }
        public void setThreshold(long threshold) { this.threshold = threshold; }
        public String getThresholdStatus() { return thresholdStatus; }
        public void setThresholdStatus(String thresholdStatus) { this.thresholdStatus = thresholdStatus; }
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

    /**
     * The operator dashboard, served at {@code {rest.base-path}/ui/} (default {@code /dead-letters/ui/}) when the REST
     * API is on. It only calls the REST API, so it needs the same authorities (the read authority to open it).
     */
    public static class Ui {

        /** Whether the dashboard's static files are served (the REST API stays as it is either way). */
        private boolean enabled = true;

        public boolean isEnabled() { return enabled; }
        public void setEnabled(boolean enabled) { this.enabled = enabled; }
    }
}
