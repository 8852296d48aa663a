package io.axondlq.spring.metrics;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.spring.MutableClock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.dao.DataAccessResourceFailureException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * What the gauges report while their refresh query fails (the database is down, or the statistics query times out
 * on a large table): the age of the oldest letter must not freeze at the last successful refresh, which would keep
 * an alert on {@code axon_dlq_oldest_age_seconds} from ever firing while the queue is unobservable.
 */
class DeadLetterGaugesRefreshFailureTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void theOldestAgeKeepsGrowingOrBecomesUnknownWhileTheRefreshFails() throws Exception {
        Instant start = Instant.parse("2030-01-01T10:00:00Z");
        MutableClock clock = new MutableClock(start);
        DeadLetterStore store = mock(DeadLetterStore.class);
        AtomicInteger calls = new AtomicInteger();
        when(store.statistics()).thenAnswer(invocation -> {
            if (calls.incrementAndGet() == 1) {
                return List.of(new GroupStatistics("orders", 7, 3, start.minusSeconds(90)));
            }
            throw new DataAccessResourceFailureException("connection refused");
        });
        DeadLetterGauges gauges = new DeadLetterGauges(store, registry, Duration.ofMillis(20), clock);
        gauges.start();
        try {
            waitFor(() -> calls.get() >= 2);
            // two hours of failing refreshes
            clock.set(start.plus(Duration.ofHours(2)));
            int before = calls.get();
            waitFor(() -> calls.get() >= before + 3);
            Gauge age = registry.find(DeadLetterGauges.OLDEST_AGE).tag("processingGroup", "orders").gauge();
            assertThat(age).isNotNull();
            double reported = age.value();
            assertThat(Double.isNaN(reported) || reported >= Duration.ofHours(2).toSeconds() + 90)
                    .as("axon.dlq.oldest.age two hours into a failing refresh reports %s s (the last snapshot)",
                        reported)
                    .isTrue();
            assertThat(registry.find(DeadLetterGauges.STATISTICS_AGE).gauge().value())
                    .as("the snapshot's age tells the refresh fails").isGreaterThanOrEqualTo(Duration.ofHours(2).toSeconds());
        } finally {
            gauges.stop();
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("timed out").isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
