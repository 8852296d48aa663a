package io.axondlq.spring.health;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@value #NAME} health indicator: letters, sequences and the oldest letter per processing group, read with one
 * statistics query. It reports UP even when there are dead letters: they need an operator, but the application is
 * running, and a liveness probe must not restart it over its dead-letter queue. With a threshold (letters per group,
 * 0 = off), a group above it turns the status into the configured threshold status (DEGRADED by default, which Spring
 * Boot leaves out of the overall status unless it is listed in {@code management.endpoint.health.status.order}).
 * A failing query reports DOWN with the error; so does one that waits longer than the timeout (a lock on the tables, a
 * database that does not answer, a connection pool with no free connection), so that the health endpoint answers in
 * time.
 * <p>
 * The timeout bounds the whole read, the wait for a connection included: the query runs on a thread of the
 * indicator's own and the health check waits for it at most the timeout. A read that outlives the check keeps
 * running until the pool or the database answers; checks meanwhile wait for that read (again at most the timeout)
 * rather than start another, so a busy pool or a hung database never collects a queue of waiting reads.
 * <p>
 * The reader thread ends when the context closes ({@link #destroy()}), so that a context created again in the same
 * JVM (spring-boot-devtools' restart) keeps nothing of the old one alive; a check after that reports DOWN.
 */
public class DeadLetterHealthIndicator extends AbstractHealthIndicator implements DisposableBean {

    /** The health contributor's name. */
    public static final String NAME = "deadLetters";
    /** The default threshold status. */
    public static final Status DEGRADED = new Status("DEGRADED", "Dead letters above the threshold");
    /** How long a check waits for the statistics by default. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private final DeadLetterStore store;
    private final long threshold;
    private final Status thresholdStatus;
    private final Duration timeout;
    /** Runs the reads; its one thread ends when idle, and never keeps the JVM alive. */
    private final ThreadPoolExecutor reader;
    /** The latest read; a check joins it while it runs. Guarded by {@code this}. */
    private CompletableFuture<List<GroupStatistics>> read;

    /** With the threshold status {@link #DEGRADED} and the {@link #DEFAULT_TIMEOUT}. */
    public DeadLetterHealthIndicator(DeadLetterStore store, long threshold) {
        this(store, threshold, DEGRADED);
    }

    /** With the {@link #DEFAULT_TIMEOUT}. */
    public DeadLetterHealthIndicator(DeadLetterStore store, long threshold, Status thresholdStatus) {
        this(store, threshold, thresholdStatus, DEFAULT_TIMEOUT);
    }

    /**
     * @param threshold       letters in one group above which {@code thresholdStatus} is reported; 0 turns it off
     * @param thresholdStatus status reported above the threshold
     * @param timeout         how long a check waits for the statistics, the wait for a connection included (positive)
     */
    public DeadLetterHealthIndicator(DeadLetterStore store, long threshold, Status thresholdStatus,
                                     Duration timeout) {
        super("Dead-letter queue check failed");
        if (threshold < 0) {
            throw new IllegalArgumentException("threshold must be 0 (off) or more, was " + threshold);
        }
        this.store = Objects.requireNonNull(store, "store");
        this.threshold = threshold;
        this.thresholdStatus = Objects.requireNonNull(thresholdStatus, "thresholdStatus");
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        this.timeout = timeout;
        this.reader = new ThreadPoolExecutor(1, 1, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
            Thread thread = new Thread(task, "axon-dlq-health");
            thread.setDaemon(true);
            return thread;
        });
        reader.allowCoreThreadTimeOut(true);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) throws Exception {
        List<GroupStatistics> statistics;
        try {
            statistics = read().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            builder.down().withDetail("error", "The dead-letter statistics did not answer within " + timeout
                    + " (a busy connection pool, a lock on the tables, a database that does not answer)");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw e;
        } catch (ExecutionException e) {
            // The read's own failure (a query timeout, a database error): DOWN with it, as if it ran here.
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
        Map<String, Object> groups = new LinkedHashMap<>();
        List<String> above = new ArrayList<>();
        long letters = 0;
        for (GroupStatistics s : statistics) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("letters", s.letters());
            detail.put("sequences", s.sequences());
            detail.put("oldestEnqueuedAt", s.oldestEnqueuedAt());
            // A full queue stalls its segment: say so, an operator must redeliver or evict.
            detail.put("full", s.isFull(store.limits(s.processingGroup())));
            groups.put(s.processingGroup(), detail);
            letters += s.letters();
            if (threshold > 0 && s.letters() > threshold) {
                above.add(s.processingGroup());
            }
        }
        builder.status(above.isEmpty() ? Status.UP : thresholdStatus)
               .withDetail("letters", letters)
               .withDetail("threshold", threshold);
        if (!above.isEmpty()) {
            builder.withDetail("aboveThreshold", above);
        }
        builder.withDetail("groups", groups);
    }

    /**
     * Ends the reader thread now rather than after its idle keep-alive: it holds the store and its DataSource, and
     * with spring-boot-devtools the old context's class loader. A read in progress is interrupted; its check, if one
     * still waits, reports DOWN.
     */
    @Override
    public void destroy() {
        reader.shutdownNow();
    }

    /** The read in progress, or a new one when there is none. */
    private synchronized CompletableFuture<List<GroupStatistics>> read() {
        if (read == null || read.isDone()) {
            read = CompletableFuture.supplyAsync(() -> store.statistics(timeout), reader);
        }
        return read;
    }
}
