package io.axondlq.spring.web;

import org.springframework.http.HttpHeaders;

import java.util.concurrent.Semaphore;

/**
 * Caps how many exports stream at the same time on this node: each holds a request thread and a database connection
 * for as long as its client reads, so a few slow clients could otherwise starve the application. A request beyond the
 * cap is refused at once (429 with {@code Retry-After}) rather than queued, so nothing waits on a request thread.
 */
public class ExportSlots {

    /** A guess, not a promise: exports usually take seconds. */
    static final int RETRY_AFTER_SECONDS = 5;

    private final int limit;
    private final Semaphore slots;

    public ExportSlots(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("axon.dlq.export.max-concurrent must not be negative, was " + limit);
        }
        this.limit = limit;
        this.slots = new Semaphore(limit);
    }

    /**
     * Takes a slot; the caller must {@link #release()} it in a {@code finally} block.
     *
     * @throws DeadLetterApiException 429 {@link ProblemType#EXPORT_BUSY} when every slot is taken
     */
    public void acquire() {
        if (!slots.tryAcquire()) {
            throw new DeadLetterApiException(ProblemType.EXPORT_BUSY,
                                             limit + " export(s) already running on this node; try again later")
                    .with("maxConcurrent", limit)
                    .header(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_SECONDS));
        }
    }

    public void release() {
        slots.release();
    }

    /** Slots free right now. */
    public int available() {
        return slots.availablePermits();
    }
}
