package io.axondlq.spring.metrics;

import io.axondlq.core.observe.DeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.axonframework.eventhandling.EventMessage;

/**
 * Counts what happens to failing events and dead letters, as Micrometer counters:
 * <table>
 * <caption>Counters</caption>
 * <tr><th>name</th><th>tags</th><th>counts</th></tr>
 * <tr><td>{@value #ENQUEUED}</td><td>processingGroup, causeType</td><td>events that failed for good and were stored
 * as dead letters (each starts or joins a parked sequence)</td></tr>
 * <tr><td>{@value #PARKED}</td><td>processingGroup</td><td>events stored unhandled behind an earlier failure of their
 * sequence (letters = enqueued + parked - redelivered - evicted)</td></tr>
 * <tr><td>{@value #RETRIES}</td><td>processingGroup, causeType</td><td>failed handler attempts that were retried in
 * place</td></tr>
 * <tr><td>{@value #REDELIVERIES}</td><td>processingGroup, outcome ({@code success} | {@code failure})</td><td>letters
 * redelivered, by an operator, a retry job or the automatic retry</td></tr>
 * <tr><td>{@value #EVICTED}</td><td>processingGroup, reason ({@code operator} | {@code reset} |
 * {@code upcaster})</td><td>letters removed
 * without being redelivered</td></tr>
 * <tr><td>{@value #SKIPPED}</td><td>processingGroup, causeType</td><td>events the retry policy dropped</td></tr>
 * <tr><td>{@value #OVERFLOWS}</td><td>processingGroup</td><td>letters refused because the queue was full (the batch
 * is retried)</td></tr>
 * </table>
 * Tags stay low-cardinality: processing group, exception class name, outcome and reason, never event, letter, sequence
 * or aggregate ids.
 */
public class MicrometerDeadLetterObserver implements DeadLetterObserver {

    public static final String ENQUEUED = "axon.dlq.enqueued";
    public static final String PARKED = "axon.dlq.parked";
    public static final String RETRIES = "axon.dlq.retries";
    public static final String REDELIVERIES = "axon.dlq.redeliveries";
    public static final String EVICTED = "axon.dlq.evicted";
    public static final String SKIPPED = "axon.dlq.skipped";
    public static final String OVERFLOWS = "axon.dlq.overflows";

    public static final String GROUP_TAG = "processingGroup";
    public static final String CAUSE_TAG = "causeType";
    public static final String OUTCOME_TAG = "outcome";
    public static final String REASON_TAG = "reason";
    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";

    private final MeterRegistry registry;

    public MicrometerDeadLetterObserver(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void retried(String processingGroup, EventMessage<?> event, Throwable cause, int failedAttempts) {
        counter(RETRIES, "Failed handler attempts that were retried", processingGroup, CAUSE_TAG, causeType(cause))
                .increment();
    }

    @Override
    public void deadLettered(String processingGroup, EventMessage<?> event, Throwable cause, int attempts) {
        counter(ENQUEUED, "Events that failed for good and were stored as dead letters", processingGroup,
                CAUSE_TAG, causeType(cause)).increment();
    }

    @Override
    public void parked(String processingGroup, EventMessage<?> event) {
        counter(PARKED, "Events stored unhandled behind an earlier failure of their sequence", processingGroup)
                .increment();
    }

    @Override
    public void skipped(String processingGroup, EventMessage<?> event, Throwable cause) {
        counter(SKIPPED, "Events dropped by the retry policy", processingGroup, CAUSE_TAG, causeType(cause))
                .increment();
    }

    @Override
    public void redelivered(String processingGroup, EventMessage<?> event) {
        counter(REDELIVERIES, "Dead letters redelivered", processingGroup, OUTCOME_TAG, SUCCESS).increment();
    }

    @Override
    public void redeliveryFailed(String processingGroup, EventMessage<?> event, Throwable cause) {
        counter(REDELIVERIES, "Dead letters redelivered", processingGroup, OUTCOME_TAG, FAILURE).increment();
    }

    @Override
    public void overflowed(String processingGroup, EventMessage<?> event) {
        counter(OVERFLOWS, "Letters refused because the queue was full", processingGroup).increment();
    }

    @Override
    public void evicted(String processingGroup, int letters, String reason) {
        if (letters <= 0) {
            return;
        }
        counter(EVICTED, "Dead letters removed without being redelivered", processingGroup,
                REASON_TAG, reason == null ? "unknown" : reason).increment(letters);
    }

    private Counter counter(String name, String description, String processingGroup, String... tags) {
        return Counter.builder(name).description(description).tag(GROUP_TAG, processingGroup).tags(tags)
                      .register(registry);
    }

    private static String causeType(Throwable cause) {
        return cause == null ? "none" : cause.getClass().getName();
    }
}
