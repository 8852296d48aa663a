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
import org.springframework.context.annotation.Bean;

import java.time.Clock;

/** Micrometer counters for every failure, retry, park and redelivery, and gauges of the queue's size. */
@AutoConfiguration(before = AxonDlqAutoConfiguration.class,
        after = {MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class})
@ConditionalOnClass({MeterRegistry.class, MetricsAutoConfiguration.class})
@ConditionalOnBean(MeterRegistry.class)
public class AxonDlqMetricsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public MicrometerDeadLetterObserver axonDlqMetricsObserver(MeterRegistry registry) {
        return new MicrometerDeadLetterObserver(registry);
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DeadLetterStore.class)
    public DeadLetterGauges axonDlqGauges(DeadLetterStore store, MeterRegistry registry,
                                          AxonDlqProperties properties) {
        return new DeadLetterGauges(store, registry, properties.getMetrics().getRefreshInterval(),
                                    Clock.systemUTC());
    }
}
