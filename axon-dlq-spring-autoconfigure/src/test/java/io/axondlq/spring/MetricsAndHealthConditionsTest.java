package io.axondlq.spring;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.metrics.DeadLetterGauges;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.springboot.autoconfig.AxonAutoConfiguration;
import org.axonframework.springboot.autoconfig.AxonTracingAutoConfiguration;
import org.axonframework.springboot.autoconfig.EventProcessingAutoConfiguration;
import org.axonframework.springboot.autoconfig.InfraConfiguration;
import org.axonframework.springboot.autoconfig.NoOpTransactionAutoConfiguration;
import org.axonframework.springboot.autoconfig.ObjectMapperAutoConfiguration;
import org.axonframework.springboot.autoconfig.XStreamAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/**
 * The metrics and health auto-configurations together with the core one: {@code axon.dlq.enabled=false} and a
 * context without a DataSource must leave no axon-dlq bean behind, and must not fail the start.
 */
class MetricsAndHealthConditionsTest {

    private static final AutoConfigurations METRICS_AND_HEALTH = AutoConfigurations.of(
            AxonDlqMetricsAutoConfiguration.class, AxonDlqHealthAutoConfiguration.class);

    private final ApplicationContextRunner withDataSource = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withConfiguration(METRICS_AND_HEALTH)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    @Test
    void disabledLeavesNoMetricsObserver() {
        withDataSource.withPropertyValues("axon.dlq.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(DeadLetterStore.class);
            assertThat(context).doesNotHaveBean(DeadLetterGauges.class);
            assertThat(context).doesNotHaveBean(DeadLetterHealthIndicator.class);
            assertThat(context).doesNotHaveBean(MicrometerDeadLetterObserver.class);
        });
    }

    @Test
    void withoutADataSourceNoMetricsObserver() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ObjectMapperAutoConfiguration.class,
                                                         XStreamAutoConfiguration.class,
                                                         NoOpTransactionAutoConfiguration.class,
                                                         EventProcessingAutoConfiguration.class,
                                                         AxonAutoConfiguration.class, InfraConfiguration.class,
                                                         AxonTracingAutoConfiguration.class))
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
                .withConfiguration(METRICS_AND_HEALTH)
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("axon.axonserver.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(DeadLetterStore.class);
                    assertThat(context).doesNotHaveBean(MicrometerDeadLetterObserver.class);
                });
    }

    /**
     * The README's "without Spring Boot" wiring exposed as a bean by an application that turned the auto-configuration
     * off: the start must not fail, and axon-dlq must not add gauges or a health contributor it was told not to.
     */
    @Test
    void disabledWithTheApplicationsOwnStoreStartsAndAddsNothing() {
        withDataSource.withPropertyValues("axon.dlq.enabled=false")
                      .withBean("myStore", DeadLetterStore.class, () -> mock(DeadLetterStore.class))
                      .run(context -> {
                          assertThat(context).hasNotFailed();
                          assertThat(context).doesNotHaveBean(DeadLetterGauges.class);
                          assertThat(context).doesNotHaveBean(DeadLetterHealthIndicator.class);
                      });
    }
    /**
     * axon.dlq.enabled=false with Flyway on the classpath: the Flyway auto-configuration still binds axon.dlq.* and
     * customizes the application's Flyway, so a value only the disabled module would read fails the start.
     */
    @Test
    void disabledBindsNoPropertiesAndLeavesTheApplicationsFlywayAlone() {
        new ApplicationContextRunner()
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
                .withConfiguration(AutoConfigurations.of(AxonDlqFlywayAutoConfiguration.class))
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true",
                                    "axon.dlq.enabled=false", "axon.dlq.metrics.refresh-interval=every-minute")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(AxonDlqProperties.class);
                    assertThat(context).doesNotHaveBean(
                            org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer.class);
                });
    }
}
