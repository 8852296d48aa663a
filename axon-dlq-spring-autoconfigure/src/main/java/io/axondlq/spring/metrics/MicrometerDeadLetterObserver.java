package io.axondlq.spring.metrics;

import io.axondlq.core.observe.DeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.axonframework.eventhandling.EventMessage;

/**
 * Counts every failure, retry, park and redelivery. Tags stay low-cardinality: processing group, kind, outcome and
 * cause type (an exception class name), never event, letter or aggregate ids.
 */
public class MicrometerDeadLetterObserver implements DeadLetterObserver {

    public static final String RETRIED = "axon.dlq.events.retried";
    public static final String ENQUEUED = "axon.dlq.letters.enqueued";
    public static final String SKIPPED = "axon.dlq.events.skipped";
    public static final String REDELIVERED = "axon.dlq.letters.redelivered";
    public static final String OVERFLOWED = "axon.dlq.queue.overflows";
    static final String GROUP_TAG = "processing.group";
    static final String CAUSE_TAG = "cause.type";

    private final MeterRegistry registry;

    public MicrometerDeadLetterObserver(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void retried(String processingGroup, EventMessage<?> event, Throwable cause, int failedAttempts) {
        counter(RETRIED, "Handler attempts that failed and were retried", processingGroup,
                CAUSE_TAG, causeType(cause)).increment();
    }

    @Override
    public void deadLettered(String processingGroup, EventMessage<?> event, Throwable cause, int attempts) {
        counter(ENQUEUED, "Events stored in the dead-letter queue", processingGroup,
                "kind", "failed", CAUSE_TAG, causeType(cause)).increment();
    }

    @Override
    public void parked(String processingGroup, EventMessage<?> event) {
        counter(ENQUEUED, "Events stored in the dead-letter queue", processingGroup,
                "kind", "parked", CAUSE_TAG, "none").increment();
    }

    @Override
    public void skipped(String processingGroup, EventMessage<?> event, Throwable cause) {
        counter(SKIPPED, "Events dropped by the retry policy", processingGroup, CAUSE_TAG, causeType(cause))
                .increment();
    }

    @Override
    public void redelivered(String processingGroup, EventMessage<?> event) {
        counter(REDELIVERED, "Dead letters redelivered", processingGroup, "outcome", "success", CAUSE_TAG, "none")
                .increment();
    }

    @Override
    public void redeliveryFailed(String processingGroup, EventMessage<?> event, Throwable cause) {
        counter(REDELIVERED, "Dead letters redelivered", processingGroup, "outcome", "failure",
                CAUSE_TAG, causeType(cause)).increment();
    }

    @Override
    public void overflowed(String processingGroup, EventMessage<?> event) {
        counter(OVERFLOWED, "Letters refused because the queue was full", processingGroup).increment();
    }

    private Counter counter(String name, String description, String processingGroup, String... tags) {
        return Counter.builder(name).description(description).tag(GROUP_TAG, processingGroup).tags(tags)
                      .register(registry);
    }

    private static String causeType(Throwable cause) {
        return cause == null ? "none" : cause.getClass().getName();
    }
}
