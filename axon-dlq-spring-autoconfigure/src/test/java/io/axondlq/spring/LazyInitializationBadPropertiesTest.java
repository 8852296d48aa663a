package io.axondlq.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * spring.main.lazy-initialization=true (common in development) must not turn a bad axon.dlq.* value from a failed
 * start into a failure at the first use of the bean that reads it (the first health check, the first REST call).
 */
class LazyInitializationBadPropertiesTest {

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class))
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withConfiguration(AutoConfigurations.of(AxonDlqHealthAutoConfiguration.class,
                                                     AxonDlqMetricsAutoConfiguration.class,
                                                     io.axondlq.spring.web.AxonDlqDashboardAutoConfiguration.class))
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true",
                                "axon.dlq.rest.enabled=true");

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "axon.dlq.retry.max-attempts=0                         | axon.dlq.retry.max-attempts",
            "axon.dlq.retry.non-retryable-exceptions=com.example.NoSuchException | axon.dlq.retry.non-retryable-exceptions",
            "axon.dlq.limits.max-sequences=-1                      | axon.dlq.limits.max-sequences",
            "axon.dlq.jdbc.initialize-schema=sometimes             | axon.dlq.jdbc.initialize-schema",
            "axon.dlq.redelivery.max-letters-per-request=0         | axon.dlq.redelivery.max-letters-per-request",
            "axon.dlq.claim.lease=0s                               | axon.dlq.claim.lease",
            "'axon.dlq.node-id= '                                  | axon.dlq.node-id",
            "axon.dlq.jdbc.table-prefix=bad-prefix;                | axon.dlq.jdbc.table-prefix",
            "axon.dlq.health.threshold=-1                          | axon.dlq.health.threshold",
            "axon.dlq.health.timeout=0s                            | axon.dlq.health.timeout",
            "axon.dlq.metrics.refresh-interval=0s                  | axon.dlq.metrics.refresh-interval",
            "axon.dlq.rest.max-page-size=0                         | axon.dlq.rest.max-page-size",
            "axon.dlq.export.max-concurrent=-1                     | axon.dlq.export.max-concurrent",
            "axon.dlq.retry-jobs.poll-interval=0s                  | axon.dlq.retry-jobs.poll-interval",
            "axon.dlq.retry-jobs.idempotency-key-ttl=0s            | axon.dlq.retry-jobs.idempotency-key-ttl",
            "axon.dlq.auto-retry.enabled=true & axon.dlq.auto-retry.batch-size=0 | axon.dlq.auto-retry",
            "'axon.dlq.security.challenge= '                       | axon.dlq.security.challenge",
            "axon.dlq.rest.base-path=/dead-letters/               | axon.dlq.rest.base-path",
    })
    void aBadValueFailsTheStartAlsoWithLazyInitialization(String properties, String named) {
        String[] property = properties.split(" & ");
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).as("eager start").hasFailed();
            assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure())).contains(named);
        });
        runner.withPropertyValues(property)
              .withInitializer(context -> context.addBeanFactoryPostProcessor(
                      new LazyInitializationBeanFactoryPostProcessor()))
              .run(context -> {
                  assertThat(context).as("lazy start").hasFailed();
                  assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure())).contains(named);
              });
    }
}
