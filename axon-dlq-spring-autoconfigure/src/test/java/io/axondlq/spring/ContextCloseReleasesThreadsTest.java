package io.axondlq.spring;

import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A context closed and created again in one JVM (spring-boot-devtools' restart, a test suite's context cache): what
 * axon-dlq started with the context ends with it, and holds nothing of the old context (its store, its DataSource,
 * its class loader) alive.
 */
class ContextCloseReleasesThreadsTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withConfiguration(AutoConfigurations.of(AxonDlqHealthAutoConfiguration.class,
                                                     AxonDlqMetricsAutoConfiguration.class))
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    @Test
    void closingTheContextEndsEveryThreadAxonDlqStarted() throws InterruptedException {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            // The health check runs its read on a thread of its own: make it exist.
            assertThat(context.getBean(DeadLetterHealthIndicator.class).health().getStatus()).isEqualTo(Status.UP);
            assertThat(started(before)).extracting(Thread::getName).contains("axon-dlq-health");
        });
        List<Thread> left = started(before);
        for (Thread thread : left) {
            thread.join(20_000); // a hang guard: a thread that ends with the context has ended long before
        }
        assertThat(left).filteredOn(Thread::isAlive).extracting(Thread::getName).isEmpty();
    }

    private static List<Thread> started(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                     .filter(t -> !before.contains(t) && t.getName().startsWith("axon-dlq"))
                     .toList();
    }
}
