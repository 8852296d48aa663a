package io.axondlq.spring.metrics;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gauges per processing group (tag {@code processingGroup}): {@value #LETTERS} (dead letters held),
 * {@value #SEQUENCES} (parked sequences) and {@value #OLDEST_AGE} (seconds since the oldest letter was enqueued, 0
 * without letters). All of them are served from a snapshot that one statistics query for all groups refreshes every
 * refresh interval, never from a query per scrape, so a busy Prometheus cannot load the database. A group that
 * emptied keeps reporting zeros. The oldest letter's age is computed at each scrape from its enqueue time in the
 * snapshot, so it keeps growing while the refresh fails (an alert on it still fires when the database is
 * unreachable); {@value #STATISTICS_AGE} says how old the snapshot is.
 */
public class DeadLetterGauges implements SmartLifecycle {

    public static final String LETTERS = "axon.dlq.letters";
    public static final String SEQUENCES = "axon.dlq.sequences";
    public static final String OLDEST_AGE = "axon.dlq.oldest.age";
    /** Seconds since the statistics were last read (no tags): grows while the refresh fails. */
    public static final String STATISTICS_AGE = "axon.dlq.statistics.age";
    private static final long NONE = Long.MIN_VALUE;
    private static final Logger logger = LoggerFactory.getLogger(DeadLetterGauges.class);

    private final DeadLetterStore store;
    private final MeterRegistry registry;
    private final Duration refreshInterval;
    private final Clock clock;
    private final Map<String, GroupValues> groups = new ConcurrentHashMap<>();
    private final AtomicLong lastRefreshMillis = new AtomicLong(NONE);
    private ScheduledExecutorService executor;

    public DeadLetterGauges(DeadLetterStore store, MeterRegistry registry, Duration refreshInterval, Clock clock) {
        this.store = store;
        this.registry = registry;
        this.refreshInterval = refreshInterval;
        this.clock = clock;
        // NaN until the first successful read.
        Gauge.builder(STATISTICS_AGE, lastRefreshMillis, last -> last.get() == NONE ? Double.NaN : secondsSince(last.get()))
             .description("Seconds since the dead-letter statistics were last read").baseUnit("seconds")
             .strongReference(true).register(registry);
    }

    /** @param oldestEnqueuedMillis epoch millis of the oldest letter's enqueue time, {@link #NONE} without letters */
    private record GroupValues(AtomicLong letters, AtomicLong sequences, AtomicLong oldestEnqueuedMillis) {
    }

    /** Reads the statistics once; groups that emptied report zero. */
    public void refresh() {
        List<GroupStatistics> statistics = store.statistics();
        Instant now = clock.instant();
        Set<String> seen = new HashSet<>();
        for (GroupStatistics s : statistics) {
            seen.add(s.processingGroup());
            GroupValues values = groups.computeIfAbsent(s.processingGroup(), this::register);
            values.letters().set(s.letters());
            values.sequences().set(s.sequences());
            values.oldestEnqueuedMillis().set(s.oldestEnqueuedAt() == null ? NONE : s.oldestEnqueuedAt().toEpochMilli());
        }
        groups.forEach((group, values) -> {
            if (!seen.contains(group)) {
                values.letters().set(0);
                values.sequences().set(0);
                values.oldestEnqueuedMillis().set(NONE);
            }
        });
        lastRefreshMillis.set(now.toEpochMilli());
    }

    private double secondsSince(long epochMillis) {
        return epochMillis == NONE ? 0 : Math.max(0, (clock.millis() - epochMillis) / 1000);
    }

    private GroupValues register(String group) {
        GroupValues values = new GroupValues(new AtomicLong(), new AtomicLong(), new AtomicLong(NONE));
        Gauge.builder(LETTERS, values.letters(), AtomicLong::get).description("Dead letters held")
             .tag(MicrometerDeadLetterObserver.GROUP_TAG, group).strongReference(true).register(registry);
        Gauge.builder(SEQUENCES, values.sequences(), AtomicLong::get).description("Parked sequences")
             .tag(MicrometerDeadLetterObserver.GROUP_TAG, group).strongReference(true).register(registry);
        Gauge.builder(OLDEST_AGE, values.oldestEnqueuedMillis(), oldest -> secondsSince(oldest.get()))
             .description("Seconds since the oldest dead letter was enqueued").baseUnit("seconds")
             .tag(MicrometerDeadLetterObserver.GROUP_TAG, group).strongReference(true).register(registry);
        return values;
    }

    @Override
    public synchronized void start() {
        executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "axon-dlq-gauges");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(() -> {
            try {
                refresh();
            } catch (RuntimeException e) {
                logger.warn("Could not refresh dead-letter gauges: {}", e.getMessage());
            }
        }, 0, refreshInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return executor != null;
    }
}
