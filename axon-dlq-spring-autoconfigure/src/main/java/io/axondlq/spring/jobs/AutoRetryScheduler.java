package io.axondlq.spring.jobs;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.scheduling.support.CronExpression;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Automatic retry ({@code axon.dlq.auto-retry.*}): at every time of the cron schedule, starts a retry job for each
 * processing group that has dead letters, as the {@link RetryJobRunner#SYSTEM_ACTOR system}. Every node runs the
 * schedule; the jobs' idempotency key {@code auto-retry:<group>:<scheduled time>} makes the nodes agree on one job per
 * group and time, and a group whose previous job (automatic or not) still runs is left alone.
 */
public class AutoRetryScheduler implements SmartLifecycle {

    public static final String KEY_PREFIX = "auto-retry:";
    private static final Logger logger = LoggerFactory.getLogger(AutoRetryScheduler.class);
    private static final int MAX_KEY_LENGTH = 255;

    /**
     * @param maxSequences most sequences per group and run
     * @param batchSize    sequences per batch of each job
     * @param cooldown     pause between batches
     */
    public record Settings(int maxSequences, int batchSize, Duration cooldown) {

        public Settings {
            // Fails at start-up, not at the first scheduled run.
            new RetryJobRequest("validation", null, null, null, null, batchSize, cooldown, maxSequences);
        }
    }

    private final RetryJobs jobs;
    private final DeadLetterStore store;
    private final CronExpression schedule;
    private final Settings settings;
    private final Clock clock;
    private final Object lifecycle = new Object();
    private volatile boolean running;
    private ScheduledExecutorService scheduler;
    private volatile Instant lastRun;

    /**
     * @param clock its zone is the zone of the cron schedule
     */
    public AutoRetryScheduler(RetryJobs jobs, DeadLetterStore store, CronExpression schedule, Settings settings,
                              Clock clock) {
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.store = Objects.requireNonNull(store, "store");
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * @throws IllegalArgumentException naming the property, for an invalid expression
     */
    public static CronExpression parseSchedule(String expression) {
        try {
            return CronExpression.parse(expression);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("axon.dlq.auto-retry.schedule [" + expression + "] is not a valid cron "
                                                       + "expression (six fields: second minute hour day month "
                                                       + "weekday): " + e.getMessage(), e);
        }
    }

    @Override
    public void start() {
        synchronized (lifecycle) {
            if (running) {
                return;
            }
            running = true;
            scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "axon-dlq-auto-retry");
                thread.setDaemon(true);
                return thread;
            });
            scheduleNext();
        }
    }

    @Override
    public void stop() {
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            running = false;
            scheduler.shutdownNow();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The next time of the schedule, strictly after the last run (clocks may jump back). */
    Instant nextRun() {
        ZonedDateTime from = ZonedDateTime.now(clock);
        if (lastRun != null && !from.toInstant().isAfter(lastRun)) {
            from = lastRun.atZone(clock.getZone());
        }
        ZonedDateTime next = schedule.next(from);
        if (next == null) {
            throw new IllegalStateException("axon.dlq.auto-retry.schedule has no future time");
        }
        return next.toInstant();
    }

    private void scheduleNext() {
        synchronized (lifecycle) {
            if (!running) {
                return;
            }
            Instant next = nextRun();
            long delay = Math.max(0, Duration.between(clock.instant(), next).toMillis());
            scheduler.schedule(() -> {
                try {
                    runAt(next);
                } catch (RuntimeException e) {
                    logger.warn("Automatic retry at {} failed: {}", next, e.toString());
                } finally {
                    lastRun = next;
                    scheduleNext();
                }
            }, delay, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Starts this scheduled time's job for every group with dead letters (or finds the job another node started).
     *
     * @return the jobs this call created or found by this time's idempotency key
     */
    public List<RetryJob> runAt(Instant scheduledTime) {
        List<RetryJob> started = new ArrayList<>();
        for (GroupStatistics group : store.statistics()) {
            if (group.letters() <= 0) {
                continue;
            }
            String name = group.processingGroup();
            String key = idempotencyKey(name, scheduledTime);
            try {
                // Checked first so that a running job (possibly this time's, started by another node) is not met
                // with a create that would be audited as rejected.
                if (jobs.activeJob(name).isPresent()) {
                    logger.debug("Automatic retry of [{}] skipped: a retry job is running", name);
                    continue;
                }
                RetryJobRequest request = new RetryJobRequest(name, null, null, null, null, settings.batchSize(),
                                                              settings.cooldown(), settings.maxSequences());
                RetryJobs.Created created = jobs.create(request, key, RetryJobRunner.SYSTEM_ACTOR);
                if (created.created()) {
                    logger.info("Automatic retry of [{}]: job [{}] with {} sequences", name, created.job().id(),
                                created.job().total());
                }
                started.add(created.job());
            } catch (RetryJobs.JobAlreadyRunningException e) {
                logger.debug("Automatic retry of [{}] skipped: {}", name, e.getMessage());
            } catch (RuntimeException e) {
                logger.warn("Automatic retry of [{}] at {} failed: {}", name, scheduledTime, e.toString());
            }
        }
        return started;
    }

    /** Always within 255 characters: long group names are replaced by their hash. */
    static String idempotencyKey(String processingGroup, Instant scheduledTime) {
        String key = KEY_PREFIX + processingGroup + ":" + scheduledTime;
        if (key.length() <= MAX_KEY_LENGTH) {
            return key;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                                         .digest(processingGroup.getBytes(StandardCharsets.UTF_8));
            return KEY_PREFIX + "sha256-" + HexFormat.of().formatHex(digest) + ":" + scheduledTime;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
