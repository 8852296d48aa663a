package io.axondlq.sample.faults;

/** How a {@link Fault} fails the handlers it matches. */
public enum FaultMode {
    /** Every matching handler invocation fails, live and on redelivery, until the fault is removed. */
    PERMANENT,
    /** The next {@code times} matching invocations fail, then the fault heals itself (in-place retries absorb it). */
    TRANSIENT,
    /** Like PERMANENT, with an exception axon-dlq does not retry: the event is dead-lettered after one attempt. */
    NON_RETRYABLE
}
