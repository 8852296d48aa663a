package io.axondlq.spring;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.metrics.DeadLetterGauges;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * The metrics and health auto-configurations on their own: which beans, under which names, what the properties do,
 * what backs off, what fails the start.
 */
class AxonDlqMetricsAndHealthAutoConfigurationTest {

    private final DeadLetterStore store = mock(DeadLetterStore.class);
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AxonDlqMetricsAutoConfiguration.class,
                                                     AxonDlqHealthAutoConfiguration.class))
            .withBean(DeadLetterStore.class, () -> store)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withBean(AxonDlqProperties.class, AxonDlqProperties::new);

    private void statistics(long ledgerLetters) {
        when(store.limits(org.mockito.ArgumentMatchers.anyString()))
                .thenReturn(io.axondlq.core.store.DeadLetterLimits.DEFAULT);
        List<GroupStatistics> statistics = List.of(new GroupStatistics("ledger", ledgerLetters, 2, Instant.now()),
                                                   new GroupStatistics("billing", 1, 1, Instant.now()));
        when(store.statistics()).thenReturn(statistics);
        // The health contributor's read, bounded by its timeout.
        when(store.statistics(org.mockito.ArgumentMatchers.any())).thenReturn(statistics);
    }

    @Test
    void theHealthIndicatorIsDeadLettersAndUpEvenWithLetters() {
        statistics(5_000);
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasBean("deadLettersHealthIndicator");
            assertThat(context).getBeans(HealthIndicator.class).containsOnlyKeys("deadLettersHealthIndicator");
            Health health = context.getBean(DeadLetterHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.UP);
            assertThat(health.getDetails()).containsEntry("threshold", 0L).containsEntry("letters", 5_001L);
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> groups = (Map<String, Map<String, Object>>) health.getDetails()
                                                                                                .get("groups");
            assertThat(groups).containsOnlyKeys("ledger", "billing");
            assertThat(groups.get("ledger")).containsEntry("letters", 5_000L).containsEntry("sequences", 2L)
                                            .containsEntry("full", false).containsKey("oldestEnqueuedAt");
        });
    }

    @Test
    void aboveTheThresholdTheConfiguredStatus() {
        statistics(11);
        ApplicationContextRunner configured = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AxonDlqHealthAutoConfiguration.class,
                                                         org.springframework.boot.autoconfigure.context
                                                                 .ConfigurationPropertiesAutoConfiguration.class))
                .withUserConfiguration(PropertiesConfiguration.class)
                .withBean(DeadLetterStore.class, () -> store);
        configured.withPropertyValues("axon.dlq.health.threshold=10").run(context -> {
            Health health = context.getBean(DeadLetterHealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(DeadLetterHealthIndicator.DEGRADED);
            assertThat(health.getStatus().getCode()).isEqualTo("DEGRADED");
            assertThat(health.getDetails()).containsEntry("aboveThreshold", List.of("ledger"));
        });
        configured.withPropertyValues("axon.dlq.health.threshold=11").run(context -> assertThat(
                context.getBean(DeadLetterHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP));
        configured.withPropertyValues("axon.dlq.health.threshold=10",
                                      "axon.dlq.health.threshold-status=OUT_OF_SERVICE")
                  .run(context -> assertThat(context.getBean(DeadLetterHealthIndicator.class).health().getStatus())
                          .isEqualTo(Status.OUT_OF_SERVICE));
        configured.withPropertyValues("axon.dlq.health.threshold=-1").run(context -> assertThat(context)
                .hasFailed().getFailure().hasStackTraceContaining("axon.dlq.health.threshold"));
        configured.withPropertyValues("axon.dlq.health.threshold-status= ").run(context -> assertThat(context)
                .hasFailed().getFailure().hasStackTraceContaining("axon.dlq.health.threshold-status"));
        configured.withPropertyValues("axon.dlq.health.timeout=0s").run(context -> assertThat(context)
                .hasFailed().getFailure().hasStackTraceContaining("axon.dlq.health.timeout must be positive"));
    }

    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @org.springframework.boot.context.properties.EnableConfigurationProperties(AxonDlqProperties.class)
    static class PropertiesConfiguration {
    }

    @Test
    void aFailingQueryIsDown() {
        when(store.statistics(org.mockito.ArgumentMatchers.any())).thenThrow(new IllegalStateException("database gone"));
        runner.run(context -> assertThat(context.getBean(DeadLetterHealthIndicator.class).health().getStatus())
                .isEqualTo(Status.DOWN));
    }

    @Test
    void theHealthIndicatorCanBeSwitchedOffOrReplaced() {
        runner.withPropertyValues("management.health.deadLetters.enabled=false")
              .run(context -> assertThat(context).doesNotHaveBean(DeadLetterHealthIndicator.class));
        runner.withPropertyValues("management.health.defaults.enabled=false")
              .run(context -> assertThat(context).doesNotHaveBean(DeadLetterHealthIndicator.class));
        HealthIndicator mine = () -> Health.up().build();
        runner.withBean("deadLettersHealthIndicator", HealthIndicator.class, () -> mine)
              .run(context -> assertThat(context.getBean("deadLettersHealthIndicator")).isSameAs(mine));
    }

    @Test
    void metricsBeansAppearWithAMeterRegistry() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(MicrometerDeadLetterObserver.class);
            assertThat(context).hasSingleBean(DeadLetterGauges.class);
            assertThat(context.getBean(DeadLetterGauges.class).isRunning()).isTrue();
        });
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AxonDlqMetricsAutoConfiguration.class))
                .withBean(DeadLetterStore.class, () -> store)
                .withBean(AxonDlqProperties.class, AxonDlqProperties::new)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(MicrometerDeadLetterObserver.class);
                    assertThat(context).doesNotHaveBean(DeadLetterGauges.class);
                });
    }

    /** Below a millisecond: the refresh is scheduled in milliseconds, where it would be 0. */
    @ParameterizedTest
    @ValueSource(strings = {"0s", "-1s", "500us", "1ns"})
    void aBadRefreshIntervalFailsTheStart(String interval) {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(AxonDlqMetricsAutoConfiguration.class,
                                                         org.springframework.boot.autoconfigure.context
                                                                 .ConfigurationPropertiesAutoConfiguration.class))
                .withUserConfiguration(PropertiesConfiguration.class)
                .withBean(DeadLetterStore.class, () -> store)
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("axon.dlq.metrics.refresh-interval=" + interval)
                .run(context -> assertThat(context).hasFailed().getFailure()
                                                   .hasStackTraceContaining("axon.dlq.metrics.refresh-interval"));
    }

    @Test
    void theCompositeObserverForwardsEvictionsAndSurvivesAFailingObserver() {
        List<String> heard = new ArrayList<>();
        DeadLetterObserver failing = new DeadLetterObserver() {
            @Override
            public void evicted(String group, int letters, String reason) {
                throw new IllegalStateException("broken observer");
            }

            @Override
            public void parked(String group, org.axonframework.eventhandling.EventMessage<?> event) {
                throw new IllegalStateException("broken observer");
            }
        };
        DeadLetterObserver listening = new DeadLetterObserver() {
            @Override
            public void evicted(String group, int letters, String reason) {
                heard.add("evicted " + group + " " + letters + " " + reason);
            }

            @Override
            public void parked(String group, org.axonframework.eventhandling.EventMessage<?> event) {
                heard.add("parked " + group);
            }
        };
        CompositeDeadLetterObserver composite = new CompositeDeadLetterObserver(List.of(failing, listening));

        composite.evicted("ledger", 4, DeadLetterObserver.EVICTED_ON_RESET);
        composite.parked("ledger", GenericEventMessage.asEventMessage("x"));

        assertThat(heard).containsExactly("evicted ledger 4 reset", "parked ledger");
    }
}
