package io.axondlq.core.jobs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The one polling worker of a node: a single thread that runs every {@link BackgroundJob} kind at its own poll
 * interval, and a heartbeat thread that renews the leases of work in progress. Every node runs one; which node does a
 * piece of work is decided by {@link Leases}, never by the worker. Nothing a round or a renewal throws, not even an
 * {@link Error}, stops the schedule: it is logged and the next round runs as planned.
 */
public final class JobWorker {

    private static final Logger logger = LoggerFactory.getLogger(JobWorker.class);
    private static final int MAX_NODE_LENGTH = 200;

    private final List<BackgroundJob> jobs;
    private final Duration stopTimeout;
    private final Object lifecycle = new Object();
    private volatile boolean running;
    private ScheduledExecutorService worker;
    private ScheduledExecutorService heartbeat;
    /**
     * The workers of stopped runs whose last round has not ended yet: the kinds' leases are the kinds', not a run's,
     * so they are given back only once none is left (a stop, restart and stop again can leave two).
     */
    private final Set<ScheduledExecutorService> endingWorkers = new HashSet<>();

    /**
     * @param stopTimeout how long {@link #stop()} waits for the unit of work in progress
     */
    public JobWorker(List<BackgroundJob> jobs, Duration stopTimeout) {
        this.jobs = List.copyOf(Objects.requireNonNull(jobs, "jobs"));
        this.stopTimeout = JobChecks.notNegative(stopTimeout, "stopTimeout");
    }

    /**
     * The lease owner name of a worker on {@code nodeId}: the node id plus a random suffix, which keeps two workers of
     * one node (two application contexts, a restart within a lease) apart.
     */
    public static String ownerName(String nodeId) {
        if (nodeId == null || nodeId.isBlank()) {
            throw new IllegalArgumentException("nodeId may not be null or blank");
        }
        String node = nodeId.length() <= MAX_NODE_LENGTH ? nodeId : nodeId.substring(0, MAX_NODE_LENGTH);
        return node + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    public List<BackgroundJob> jobs() {
        return jobs;
    }

    /**
     * Starts polling. Restarted while a stopped run's round still works (its stop timed out, or an asynchronous stop
     * still waits), the new run's rounds begin once that round has ended: telling the kinds {@code starting} earlier
     * would lift the stop that round was told, and it would go on alongside the new run's rounds.
     */
    public void start() {
        synchronized (lifecycle) {
            if (running) {
                return;
            }
            running = true;
            ScheduledExecutorService rounds = Executors.newSingleThreadScheduledExecutor(daemon("axon-dlq-worker"));
            ScheduledExecutorService renewals =
                    Executors.newSingleThreadScheduledExecutor(daemon("axon-dlq-worker-lease"));
            worker = rounds;
            heartbeat = renewals;
            List<ScheduledExecutorService> stillEnding = List.copyOf(endingWorkers);
            if (stillEnding.isEmpty()) {
                begin(rounds, renewals);
            } else {
                logger.info("axon-dlq worker starts once the stopped run's work in progress has ended");
                rounds.execute(() -> beginOnceEnded(stillEnding, rounds, renewals));
            }
        }
    }

    /** On the new run's worker thread, so that a stop meanwhile waits for it as for a round. */
    private void beginOnceEnded(List<ScheduledExecutorService> stillEnding, ScheduledExecutorService rounds,
                                ScheduledExecutorService renewals) {
        try {
            for (ScheduledExecutorService ending : stillEnding) {
                while (!ending.awaitTermination(1, TimeUnit.MINUTES)) {
                    logger.debug("axon-dlq worker: the stopped run's work is still in progress; starting after it");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        synchronized (lifecycle) {
            // Stopped (and maybe started anew) meanwhile: this run never began.
            if (running && worker == rounds) {
                begin(rounds, renewals);
            }
        }
    }

    /** Called holding the lifecycle lock. */
    private void begin(ScheduledExecutorService rounds, ScheduledExecutorService renewals) {
        for (BackgroundJob job : jobs) {
            job.starting();
            rounds.scheduleWithFixedDelay(() -> run(job), 0, Math.max(1, job.pollInterval().toMillis()),
                                          TimeUnit.MILLISECONDS);
            Duration interval = job.heartbeatInterval();
            if (interval != null) {
                long millis = Math.max(1, interval.toMillis());
                renewals.scheduleAtFixedRate(() -> beat(job), millis, millis, TimeUnit.MILLISECONDS);
            }
        }
        logger.debug("axon-dlq worker started: {}", jobs.stream().map(BackgroundJob::name).toList());
    }

    /**
     * Stops polling and waits (up to the stop timeout) for the unit of work in progress; then every kind gives its
     * leases back. If the wait times out, the heartbeat keeps renewing the leases of the work still running and they
     * are given back once it ends: released earlier, or left to lapse, another node could take the work over while
     * this one still does it; kept until they expire, no node could go on until then.
     */
    public void stop() {
        Stopping stopping = beginStop();
        if (stopping != null) {
            awaitStop(stopping);
        }
    }

    /**
     * {@link #stop()} without the wait on the calling thread: polling stops before this returns; the wait for the
     * work in progress (up to the stop timeout) and the leases' return as in {@link #stop()} happen on a thread of
     * their own, which runs {@code whenStopped} once the work has ended or the stop timeout is up. A caller with a
     * shorter deadline of its own (a shutdown phase) can thus go on without waiting for it.
     */
    public void stop(Runnable whenStopped) {
        Objects.requireNonNull(whenStopped, "whenStopped");
        Stopping stopping = beginStop();
        if (stopping == null) {
            whenStopped.run();
            return;
        }
        daemon("axon-dlq-worker-stop").newThread(() -> {
            try {
                awaitStop(stopping);
            } finally {
                whenStopped.run();
            }
        }).start();
    }

    private record Stopping(ScheduledExecutorService worker, ScheduledExecutorService heartbeat) {
    }

    /** Stops polling and tells every kind; null when not running. */
    private Stopping beginStop() {
        Stopping stopping;
        synchronized (lifecycle) {
            if (!running) {
                return null;
            }
            running = false;
            stopping = new Stopping(worker, heartbeat);
            endingWorkers.add(worker);
        }
        jobs.forEach(BackgroundJob::stopping);
        stopping.worker().shutdown();
        return stopping;
    }

    private void awaitStop(Stopping stopping) {
        boolean ended = false;
        try {
            ended = stopping.worker().awaitTermination(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ended) {
            giveLeasesBack(stopping.worker(), stopping.heartbeat());
        } else {
            logger.warn("axon-dlq worker stopped while work was still in progress; its leases are renewed until it "
                                + "ends, then given back");
            daemon("axon-dlq-worker-stop").newThread(
                    () -> giveLeasesBackOnceEnded(stopping.worker(), stopping.heartbeat())).start();
        }
    }

    private void giveLeasesBackOnceEnded(ScheduledExecutorService stoppingWorker,
                                         ScheduledExecutorService stoppingHeartbeat) {
        try {
            while (!stoppingWorker.awaitTermination(1, TimeUnit.MINUTES)) {
                logger.debug("axon-dlq worker: work still in progress after stop; its leases are still renewed");
            }
            giveLeasesBack(stoppingWorker, stoppingHeartbeat);
        } catch (InterruptedException e) {
            // Nothing interrupts this thread but the JVM going down: the leases then expire with the node.
            Thread.currentThread().interrupt();
        }
    }

    /** Once {@code endedWorker}'s last round has ended. */
    private void giveLeasesBack(ScheduledExecutorService endedWorker, ScheduledExecutorService stoppingHeartbeat) {
        synchronized (lifecycle) {
            // The runs whose rounds still work renew the leases with heartbeats of their own.
            stoppingHeartbeat.shutdownNow();
            endingWorkers.remove(endedWorker);
            // Restarted meanwhile (possible while an asynchronous stop waits): the leases are the new run's, and stay;
            // stopped again with another run's round still working: they are its, and stay until it ends.
            if (!running && endingWorkers.isEmpty()) {
                jobs.forEach(JobWorker::stopped);
            }
        }
    }

    public boolean isRunning() {
        return running;
    }

    /** Waits until the worker thread has finished its last round after {@link #stop()}. */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        ScheduledExecutorService current;
        synchronized (lifecycle) {
            current = worker;
        }
        return current == null || current.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run(BackgroundJob job) {
        if (!running) {
            return;
        }
        try {
            job.runOnce();
        } catch (RuntimeException e) {
            // Database unavailable and the like: try again next round; never let the schedule die.
            logger.warn("{} round failed: {}", job.name(), e.toString());
        } catch (Throwable e) {
            // Errors too (a payload class that fails to initialize, a stack overflow, even an OutOfMemoryError): a
            // task that throws is cancelled by its executor without a word, and that kind of work would stop on this
            // node for good. Rethrowing reaches nobody (the task's future is never read); the JVM's own settings
            // (e.g. -XX:+ExitOnOutOfMemoryError) decide about fatal errors, so the schedule goes on.
            logger.error("{} round failed", job.name(), e);
        }
    }

    private static void beat(BackgroundJob job) {
        try {
            job.heartbeat();
        } catch (RuntimeException e) {
            logger.warn("{} lease renewal failed: {}", job.name(), e.toString());
        } catch (Throwable e) {
            // As in run: a throwing task would be cancelled, and the leases of work in progress would then expire.
            logger.error("{} lease renewal failed", job.name(), e);
        }
    }

    private static void stopped(BackgroundJob job) {
        try {
            job.stopped();
        } catch (Throwable e) {
            logger.warn("{} could not give its leases back: {}", job.name(), e.toString());
        }
    }

    private static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
