package io.axondlq.spring.jobs;

import io.axondlq.core.jobs.JobWorker;
import org.springframework.context.SmartLifecycle;

import java.util.Objects;

/** Starts and stops the node's {@link JobWorker} with the application context. */
public class JobWorkerLifecycle implements SmartLifecycle {

    private final JobWorker worker;

    public JobWorkerLifecycle(JobWorker worker) {
        this.worker = Objects.requireNonNull(worker, "worker");
    }

    public JobWorker worker() {
        return worker;
    }

    @Override
    public void start() {
        worker.start();
    }

    @Override
    public void stop() {
        worker.stop();
    }

    /**
     * Stops polling at once and waits for the work in progress off the closing thread, so that the context's
     * {@code spring.lifecycle.timeout-per-shutdown-phase} bounds the wait when it is shorter than the worker's own.
     */
    @Override
    public void stop(Runnable callback) {
        worker.stop(callback);
    }

    @Override
    public boolean isRunning() {
        return worker.isRunning();
    }
}
