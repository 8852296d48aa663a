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

    @Override
    public boolean isRunning() {
        return worker.isRunning();
    }
}
