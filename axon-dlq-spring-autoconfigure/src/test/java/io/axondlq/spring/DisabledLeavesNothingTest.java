package io.axondlq.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code axon.dlq.enabled=false} in a servlet application with actuator, Micrometer and Flyway: every auto-configuration
 * this jar lists in AutoConfiguration.imports backs off, and nothing of axon-dlq is left — no bean, no table, no thread.
 */
class DisabledLeavesNothingTest {

    private static final Class<?>[] EVERY_AXON_DLQ_AUTO_CONFIGURATION = ImportCandidates
            .load(AutoConfiguration.class, DisabledLeavesNothingTest.class.getClassLoader()).getCandidates().stream()
            .filter(name -> name.startsWith("io.axondlq."))
            .map(DisabledLeavesNothingTest::load).toArray(Class<?>[]::new);

    @Test
    void disabledLeavesNoBeanNoTableAndNoThreadOfAxonDlq() {
        assertThat(EVERY_AXON_DLQ_AUTO_CONFIGURATION).hasSizeGreaterThanOrEqualTo(8);
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class))
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
                .withConfiguration(AutoConfigurations.of(EVERY_AXON_DLQ_AUTO_CONFIGURATION))
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true",
                                    "axon.dlq.enabled=false", "axon.dlq.rest.enabled=true",
                                    "axon.dlq.jdbc.initialize-schema=always")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    List<String> ours = Arrays.stream(context.getBeanDefinitionNames())
                                              .filter(name -> {
                                                  Class<?> type = context.getType(name);
                                                  return type != null && type.getName().startsWith("io.axondlq.");
                                              })
                                              .toList();
                    assertThat(ours).isEmpty();
                    assertThat(Arrays.asList(context.getBeanDefinitionNames()))
                            // Axon's own deadLetterSchema and deadLetterQueueProviderConfigurerModule stay: not ours
                            .noneMatch(name -> name.toLowerCase().contains("axondlq")
                                    || name.startsWith("deadLetters"));
                    long tables = new JdbcTemplate(context.getBean(DataSource.class)).queryForObject(
                            "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE LOWER(TABLE_NAME) LIKE 'axon_dlq%'",
                            Long.class);
                    assertThat(tables).isZero();
                    assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> !before.contains(t))
                                                                  .extracting(Thread::getName)
                                                                  .noneMatch(name -> name.startsWith("axon-dlq"));
                });
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
