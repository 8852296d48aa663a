package io.axondlq.sample.faults;

import org.axonframework.common.AxonNonTransientException;

/**
 * Thrown for {@link FaultMode#NON_RETRYABLE} faults. It is an {@link AxonNonTransientException}, which axon-dlq's
 * default retry policy never retries (see {@code axon.dlq.retry.non-retryable-exceptions}).
 */
public class NonRetryableInjectedFaultException extends AxonNonTransientException {

    public NonRetryableInjectedFaultException(String message) {
        super(message);
    }
}
