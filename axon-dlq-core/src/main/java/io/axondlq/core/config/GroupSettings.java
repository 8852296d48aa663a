package io.axondlq.core.config;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.retry.RetryPolicy;

import java.util.Objects;

/**
 * How one processing group uses the dead-letter queue.
 *
 * @param clearOnReset whether a processor reset removes the group's letters (default: keep them and warn)
 */
public record GroupSettings(RetryPolicy retryPolicy, Isolation isolation, boolean clearOnReset) {

    public static final GroupSettings DEFAULT =
            new GroupSettings(ExponentialBackoffRetryPolicy.defaults(), Isolation.SAVEPOINT_PER_ATTEMPT, false);

    public GroupSettings {
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(isolation, "isolation");
    }
}
