package io.axondlq.spring;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.metrics.DeadLetterGauges;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;

import java.time.Clock;
import java.time.Duration;

/**
 * Micrometer: the counters of {@link MicrometerDeadLetterObserver} ({@code axon.dlq.enqueued}, {@code parked},
 * {@code retries}, {@code redeliveries}, {@code evicted}, {@code skipped}, {@code overflows}) and the gauges of
 * {@link DeadLetterGauges} ({@code axon.dlq.letters}, {@code sequences}, {@code oldest.age}), per processing group.
 * Runs after {@link AxonDlqAutoConfiguration}, so that the gauges see its store; the observer is a
 * {@code DeadLetterObserver} bean, which the event processing module collects when it is created. Off, like the
 * rest of axon-dlq, with {@code axon.dlq.enabled=false} and without its store and properties (no DataSource).
 */
@AutoConfiguration(after = {MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
        AxonDlqAutoConfiguration.class})
@ConditionalOnClass({MeterRegistry.class, MetricsAutoConfiguration.class})
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@ConditionalOnBean({MeterRegistry.class, DeadLetterStore.class, AxonDlqProperties.class})
public class AxonDlqMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public MicrometerDeadLetterObserver axonDlqMetricsObserver(MeterRegistry registry) {
        return new MicrometerDeadLetterObserver(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterGauges axonDlqGauges(DeadLetterStore store, MeterRegistry registry,
                                          AxonDlqProperties properties) {
        Duration refreshInterval = properties.getMetrics().getRefreshInterval();
        // The refresh is scheduled in milliseconds: less than one would be a period of 0, which the executor refuses.
        if (refreshInterval == null || refreshInterval.compareTo(Duration.ofMillis(1)) < 0) {
            throw new GroupSettingsResolver.InvalidDeadLetterPropertyException(
                    "axon.dlq.metrics.refresh-interval must be at least 1ms, was " + refreshInterval, null);
        }
        return new DeadLetterGauges(store, registry, refreshInterval, Clock.systemUTC());
    }
}
