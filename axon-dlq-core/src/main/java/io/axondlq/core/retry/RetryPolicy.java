package io.axondlq.core.retry;

import org.axonframework.eventhandling.EventMessage;

/** Decides, per processing group, what happens after a handler failure. */
@FunctionalInterface
public interface RetryPolicy {

    /**
     * @param failedAttempts how many attempts have failed so far, including this one (1 after the first failure)
     */
    RetryDecision decide(EventMessage<?> event, Throwable failure, int failedAttempts);
}
