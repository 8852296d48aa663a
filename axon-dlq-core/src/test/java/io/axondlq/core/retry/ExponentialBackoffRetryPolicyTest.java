package io.axondlq.core.retry;

import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Java caller writes "no upper bound" as {@code maxBackoff(ChronoUnit.FOREVER.getDuration())}, which the builder
 * accepts. The waits are computed in milliseconds, and {@code Duration.toMillis()} of such a bound overflows: every
 * failure's decision threw {@link ArithmeticException} inside the processor's invoker. A bound the builder accepts
 * must be one the policy can decide with.
 */
class ExponentialBackoffRetryPolicyTest {

    @Test
    void anUnboundedMaxBackoffLetsTheWaitsGrow() {
        ExponentialBackoffRetryPolicy policy = ExponentialBackoffRetryPolicy.builder()
                                                                            .maxAttempts(4)
                                                                            .initialBackoff(Duration.ofMillis(20))
                                                                            .maxBackoff(ChronoUnit.FOREVER.getDuration())
                                                                            .build();
        GenericEventMessage<String> event = new GenericEventMessage<>("payload");
        RuntimeException failure = new IllegalStateException("down");

        assertThat(policy.decide(event, failure, 1)).isEqualTo(RetryDecision.retryAfter(Duration.ofMillis(20)));
        assertThat(policy.decide(event, failure, 2)).isEqualTo(RetryDecision.retryAfter(Duration.ofMillis(40)));
        assertThat(policy.decide(event, failure, 3)).isEqualTo(RetryDecision.retryAfter(Duration.ofMillis(80)));
        assertThat(policy.decide(event, failure, 4)).isEqualTo(RetryDecision.deadLetter());
    }
}
