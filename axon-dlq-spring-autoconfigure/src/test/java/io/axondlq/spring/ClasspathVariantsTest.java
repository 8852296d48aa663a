package io.axondlq.spring;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.metrics.DeadLetterGauges;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.axondlq.spring.web.DeadLetterQueryController;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The starter in applications without some of its optional dependencies: every auto-configuration of the jar is
 * listed, the application starts, and only the parts that need the missing library back off.
 */
class ClasspathVariantsTest {

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class))
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withUserConfiguration(EveryAxonDlqAutoConfigurationByName.class)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true",
                                "axon.dlq.rest.enabled=true");

    /**
     * Imported by name, as Spring Boot imports the entries of AutoConfiguration.imports: their annotations are then read
     * from the class files, and an annotation whose class is missing is ignored as in an application without the jar
     * (registered as classes, reflection would find it, and its condition class would not load).
     */
    @org.springframework.context.annotation.Configuration(proxyBeanMethods = false)
    @org.springframework.context.annotation.Import(EveryAxonDlqAutoConfigurationByName.Names.class)
    static class EveryAxonDlqAutoConfigurationByName {
        static class Names implements org.springframework.context.annotation.DeferredImportSelector {
            @Override
            public String[] selectImports(org.springframework.core.type.AnnotationMetadata metadata) {
                // in the order Spring Boot sorts them (their before/after attributes)
                return new String[]{"io.axondlq.spring.AxonDlqAutoConfiguration",
                        "io.axondlq.spring.AxonDlqFlywayAutoConfiguration",
                        "io.axondlq.spring.jobs.AxonDlqJobsAutoConfiguration",
                        "io.axondlq.spring.AxonDlqMetricsAutoConfiguration",
                        "io.axondlq.spring.AxonDlqHealthAutoConfiguration",
                        "io.axondlq.spring.web.AxonDlqWebAutoConfiguration",
                        "io.axondlq.spring.web.security.AxonDlqWebSecurityAutoConfiguration",
                        "io.axondlq.spring.web.AxonDlqDashboardAutoConfiguration"};
            }
        }
    }

    @Test
    void everyAutoConfigurationIsImportedByName() {
        assertThat(org.springframework.boot.context.annotation.ImportCandidates
                           .load(org.springframework.boot.autoconfigure.AutoConfiguration.class,
                                 getClass().getClassLoader()).getCandidates())
                .filteredOn(name -> name.startsWith("io.axondlq."))
                .containsExactlyInAnyOrder(new EveryAxonDlqAutoConfigurationByName.Names().selectImports(null));
    }

    @Test
    void withAllOfThemTheHealthContributorMetricsAndRestApiAreThere() {
        runner.withBean(io.micrometer.core.instrument.MeterRegistry.class,
                        io.micrometer.core.instrument.simple.SimpleMeterRegistry::new)
              .withClassLoader(new FilteredClassLoader("org.springframework.security"))
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(context).hasSingleBean(DeadLetterHealthIndicator.class);
                  assertThat(context).hasSingleBean(MicrometerDeadLetterObserver.class);
                  assertThat(context).hasSingleBean(DeadLetterQueryController.class);
              });
    }

    @Test
    void withoutActuatorMicrometerSecurityAndFlywayTheQueueAndTheRestApiStillWork() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate", "io.micrometer.core",
                                                       "org.springframework.security", "org.flywaydb"))
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(context).hasSingleBean(DeadLetterStore.class);
                  assertThat(context).hasSingleBean(DeadLetterOperations.class);
                  assertThat(context).hasSingleBean(DeadLetterQueryController.class);
                  assertThat(context).doesNotHaveBean(DeadLetterHealthIndicator.class);
                  assertThat(context).doesNotHaveBean(DeadLetterGauges.class);
                  assertThat(context).doesNotHaveBean(MicrometerDeadLetterObserver.class);
                  assertThat(context.getBean(DeadLetterStore.class).statistics()).isEmpty();
              });
    }

    @Test
    void notAWebApplicationStartsWithoutTheRestApi() {
        new org.springframework.boot.test.context.runner.ApplicationContextRunner()
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
                .withConfiguration(AutoConfigurations.of(io.axondlq.spring.web.AxonDlqDashboardAutoConfiguration.class))
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withClassLoader(new FilteredClassLoader("org.springframework.web.servlet"))
                .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true",
                                    "axon.dlq.rest.enabled=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(DeadLetterOperations.class);
                    assertThat(context).doesNotHaveBean(DeadLetterQueryController.class);
                });
    }
}
