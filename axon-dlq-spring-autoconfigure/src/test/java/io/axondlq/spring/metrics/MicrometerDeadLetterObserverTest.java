package io.axondlq.spring.metrics;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

/** The exact meter names and tags of issue 4 §5, and that gauges never query the store per scrape. */
class MicrometerDeadLetterObserverTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final MicrometerDeadLetterObserver observer = new MicrometerDeadLetterObserver(registry);
    private final EventMessage<?> event = GenericEventMessage.asEventMessage("payload");

    @Test
    void everyCallbackCountsUnderItsNameWithCamelCaseTags() {
        IllegalStateException cause = new IllegalStateException("boom");
        observer.deadLettered("g", event, cause, 3);
        observer.parked("g", event);
        observer.parked("g", event);
        observer.retried("g", event, cause, 1);
        observer.retried("g", event, cause, 2);
        observer.redelivered("g", event);
        observer.redeliveryFailed("g", event, cause);
        observer.evicted("g", 5, DeadLetterObserver.EVICTED_BY_OPERATOR);
        observer.evicted("g", 2, DeadLetterObserver.EVICTED_ON_RESET);
        observer.evicted("g", 0, DeadLetterObserver.EVICTED_BY_OPERATOR);
        observer.skipped("g", event, cause);
        observer.overflowed("g", event);

        String state = IllegalStateException.class.getName();
        assertThat(meters()).isEqualTo(new TreeMap<>(Map.of(
                "axon.dlq.enqueued{causeType=" + state + ",processingGroup=g}", 1.0,
                "axon.dlq.parked{processingGroup=g}", 2.0,
                "axon.dlq.retries{causeType=" + state + ",processingGroup=g}", 2.0,
                "axon.dlq.redeliveries{outcome=success,processingGroup=g}", 1.0,
                "axon.dlq.redeliveries{outcome=failure,processingGroup=g}", 1.0,
                "axon.dlq.evicted{processingGroup=g,reason=operator}", 5.0,
                "axon.dlq.evicted{processingGroup=g,reason=reset}", 2.0,
                "axon.dlq.skipped{causeType=" + state + ",processingGroup=g}", 1.0,
                "axon.dlq.overflows{processingGroup=g}", 1.0)));
    }

    @Test
    void gaugesServeTheSnapshotOfOneStatisticsQueryPerRefresh() {
        DeadLetterStore store = mock(DeadLetterStore.class);
        Instant now = Instant.parse("2030-01-01T10:00:00Z");
        when(store.statistics()).thenReturn(
                List.of(new GroupStatistics("a", 7, 3, now.minusSeconds(90)),
                        new GroupStatistics("b", 1, 1, now.minusSeconds(5))),
                List.of(new GroupStatistics("b", 2, 1, now.minusSeconds(5))));
        DeadLetterGauges gauges = new DeadLetterGauges(store, registry, Duration.ofHours(1),
                                                       Clock.fixed(now, ZoneOffset.UTC));

        gauges.refresh();
        for (int scrape = 0; scrape < 10; scrape++) {
            assertThat(meters()).containsEntry("axon.dlq.letters{processingGroup=a}", 7.0)
                                .containsEntry("axon.dlq.sequences{processingGroup=a}", 3.0)
                                .containsEntry("axon.dlq.oldest.age{processingGroup=a}", 90.0)
                                .containsEntry("axon.dlq.letters{processingGroup=b}", 1.0);
        }
        verify(store, times(1)).statistics();
        assertThat(registry.find("axon.dlq.oldest.age").gauge().getId().getBaseUnit()).isEqualTo("seconds");

        // group a emptied: zeros, not a stale value
        gauges.refresh();
        verify(store, times(2)).statistics();
        assertThat(meters()).containsEntry("axon.dlq.letters{processingGroup=a}", 0.0)
                            .containsEntry("axon.dlq.sequences{processingGroup=a}", 0.0)
                            .containsEntry("axon.dlq.oldest.age{processingGroup=a}", 0.0)
                            .containsEntry("axon.dlq.letters{processingGroup=b}", 2.0);
    }

    /** Every meter as "name{tag=value,...}" → its count or value. */
    private Map<String, Double> meters() {
        return registry.getMeters().stream().collect(Collectors.toMap(
                m -> m.getId().getName() + m.getId().getTags().stream().map(t -> t.getKey() + "=" + t.getValue())
                                            .collect(Collectors.joining(",", "{", "}")),
                MicrometerDeadLetterObserverTest::value, (x, y) -> x, TreeMap::new));
    }

    private static double value(Meter meter) {
        return meter.measure().iterator().next().getValue();
    }

}
