package io.axondlq.sample.faults;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One rule of the {@link FaultSwitch}: which handler invocations fail, and how. A criterion left null matches
 * anything; a fault with no criterion fails every event of every group.
 */
public final class Fault {

    private final String id;
    private final String aggregateId;
    private final String eventType;
    private final String processingGroup;
    private final FaultMode mode;
    private final FaultPhase phase;
    private final Integer times;
    private final AtomicInteger remaining;
    private final AtomicInteger triggered = new AtomicInteger();
    private final Instant createdAt;

    Fault(String id, String aggregateId, String eventType, String processingGroup, FaultMode mode, FaultPhase phase,
          Integer times, Instant createdAt) {
        this.id = id;
        this.aggregateId = aggregateId;
        this.eventType = eventType;
        this.processingGroup = processingGroup;
        this.mode = mode;
        this.phase = phase;
        this.times = times;
        this.remaining = new AtomicInteger(times == null ? 0 : times);
        this.createdAt = createdAt;
    }

    boolean matches(String processingGroup, String aggregateId, String eventType, FaultPhase phase) {
        return this.phase == phase
                && (this.processingGroup == null || this.processingGroup.equals(processingGroup))
                && (this.aggregateId == null || this.aggregateId.equals(aggregateId))
                && (this.eventType == null || this.eventType.equals(eventType));
    }

    /** Throws when this fault strikes the invocation; a transient fault counts itself down. */
    void strike(String processingGroup, String aggregateId, String eventType) {
        String what = eventType + " of [" + aggregateId + "] in [" + processingGroup + "]";
        switch (mode) {
            case PERMANENT -> {
                triggered.incrementAndGet();
                throw new InjectedFaultException("Injected permanent fault " + id + ": " + what);
            }
            case NON_RETRYABLE -> {
                triggered.incrementAndGet();
                throw new NonRetryableInjectedFaultException("Injected non-retryable fault " + id + ": " + what);
            }
            case TRANSIENT -> {
                if (remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    triggered.incrementAndGet();
                    throw new InjectedFaultException("Injected transient fault " + id + " (" + remaining.get()
                                                             + " more to come): " + what);
                }
            }
        }
    }

    /** The fault as the HTTP API shows it. */
    public View view() {
        return new View(id, aggregateId, eventType, processingGroup, mode, phase, times,
                        mode == FaultMode.TRANSIENT ? remaining.get() : null, triggered.get(), createdAt);
    }

    public String id() {
        return id;
    }

    /**
     * @param remaining transient faults only: how many more invocations will fail
     * @param triggered how many invocations this fault has failed so far
     */
    public record View(String id, String aggregateId, String eventType, String processingGroup, FaultMode mode,
                       FaultPhase phase, Integer times, Integer remaining, int triggered, Instant createdAt) {
    }
}
