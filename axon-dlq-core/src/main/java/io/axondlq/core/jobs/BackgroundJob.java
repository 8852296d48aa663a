package io.axondlq.core.jobs;

import java.time.Duration;

/**
 * A kind of background work run by the {@link JobWorker}: bulk retry jobs ({@link RetryJobRunner}) and the automatic
 * retry schedule ({@link AutoRetryScheduler}). A round claims its work through {@link Leases}, so that on every node
 * the same worker runs and each piece of work is done by one node at a time.
 */
public interface BackgroundJob {

    /** Names the kind in logs. */
    String name();

    /** Delay between the end of one round and the start of the next. */
    Duration pollInterval();

    /**
     * One round of work. Failures are logged by the worker and the next round runs as planned.
     *
     * @return how many units of work were done (for logs and tests)
     */
    int runOnce();

    /** How often {@link #heartbeat()} renews the leases of work in progress; null for no heartbeat. */
    default Duration heartbeatInterval() {
        return null;
    }

    /** Renews the leases of work in progress, while a long unit of work runs on the worker thread. */
    default void heartbeat() {
    }

    /** Called before the first round after (re)start. */
    default void starting() {
    }

    /** The worker is stopping: finish the unit of work in progress and return from the round. */
    default void stopping() {
    }

    /**
     * The worker has stopped, and the work in progress has ended (after a stop that timed out, once it ends): give
     * leases back so another node can go on at once.
     */
    default void stopped() {
    }
}
