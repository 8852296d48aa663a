package io.axondlq.core.config;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.retry.RetryPolicy;

import java.util.Objects;

/**
 * How one processing group uses the dead-letter queue.
 *
 * @param isolation    how a failed attempt is undone (default {@link Isolation#CHECKPOINT})
 * @param clearOnReset whether a processor reset removes the group's letters (default true, as Axon's own invoker
 *                     does; keeping them parks the replayed events of their sequences behind them)
 */
public record GroupSettings(RetryPolicy retryPolicy, Isolation isolation, boolean clearOnReset) {

    public static final GroupSettings DEFAULT =
            new GroupSettings(ExponentialBackoffRetryPolicy.defaults(), Isolation.CHECKPOINT, true);

    public GroupSettings {
        Objects.requireNonNull(retryPolicy, "retryPolicy");
        Objects.requireNonNull(isolation, "isolation");
    }
}
