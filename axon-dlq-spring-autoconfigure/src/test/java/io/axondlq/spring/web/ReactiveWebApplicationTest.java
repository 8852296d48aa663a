package io.axondlq.spring.web;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.AxonDlqAutoConfigurationTest;
import io.axondlq.spring.RedeliveryShutdownSignal;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.jobs.JobWorkerLifecycle;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.web.reactive.context.ReactiveWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

import static io.axondlq.spring.web.NonWebApplicationTest.webBeans;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.GROUP;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.LETTERS;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.redeliveries;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.seedLetters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * axon-dlq in a reactive (WebFlux) application: the REST API, the dashboard and their security are servlet-only and
 * back off; the store, the invoker, retry jobs, metrics and health work, health also through the actuator's WebFlux
 * endpoint, and the closing signal (ordered against the web server's graceful shutdown, which a reactive server has
 * too) ends a redelivery after the letter in progress. The shutdown tests' application run with
 * {@code spring.main.web-application-type=reactive} (WebFlux on Tomcat: with the servlet stack on the classpath too,
 * Spring Boot would deduce a servlet application), and the auto-configurations on a WebFlux-only classpath.
 */
class ReactiveWebApplicationTest {

    /** Without Spring Security's WebFlux set-up: src/test/resources/application.properties excludes it. */
    static final String[] REACTIVE = {"spring.main.web-application-type=reactive",
            "management.endpoint.health.show-details=always"};

    final ShutdownMidSequenceApplicationTest app = new ShutdownMidSequenceApplicationTest();

    @BeforeEach
    void freshDatabase() {
        app.freshDatabase();
    }

    @AfterEach
    void closeEverything() {
        app.closeEverything();
    }

    ReactiveWebServerApplicationContext startReactive() {
        ConfigurableApplicationContext context = app.start(REACTIVE);
        assertThat(context).isInstanceOf(ReactiveWebServerApplicationContext.class);
        return (ReactiveWebServerApplicationContext) context;
    }

    static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everythingButTheServletOnlyRestApiAndDashboardWorksInAReactiveApplication() throws Exception {
        ReactiveWebServerApplicationContext context = startReactive();
        int port = context.getWebServer().getPort();
        assertThat(webBeans(context)).as("REST API, dashboard and security beans").isEmpty();
        assertThat(context.getBeansOfType(DeadLetterOperations.class)).hasSize(1);
        assertThat(context.getBean(JobWorkerLifecycle.class).isRunning()).isTrue();
        MeterRegistry registry = context.getBean(MeterRegistry.class);
        double succeededBefore = redeliveries(registry, "success");

        String key = seedLetters(context, "reactive", new CountDownLatch(0));
        assertThat(app.letters(key)).hasSize(LETTERS);
        assertThat(get(port, "/dead-letters/processing-groups").statusCode()).as("no REST API").isEqualTo(404);
        assertThat(get(port, "/dead-letters/ui/").statusCode()).as("no dashboard").isEqualTo(404);
        HttpResponse<String> health = get(port, "/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"deadLetters\"").contains("\"letters\":" + LETTERS);

        RetryJobs jobs = context.getBean(RetryJobs.class);
        UUID jobId = jobs.create(new RetryJobRequest(GROUP, null, null, null, null, 10, Duration.ZERO, 100), null,
                                 "alice").job().id();
        await().atMost(Duration.ofSeconds(60))
               .until(() -> jobs.find(jobId).orElseThrow().state() != RetryJob.State.RUNNING);
        assertThat(jobs.find(jobId).orElseThrow().state()).isEqualTo(RetryJob.State.COMPLETED);
        app.assertHandledOnceEach(key);
        assertThat(redeliveries(registry, "success")).isEqualTo(succeededBefore + LETTERS);
    }

    /** As the non-web and servlet tests: the reactive server's graceful shutdown phase orders the closing signal. */
    @Test
    void aRedeliveryThroughTheRedelivererEndsAfterTheLetterInProgressWhenAReactiveApplicationCloses()
            throws Exception {
        app.assertARedeliveryThroughTheModulesRedelivererEndsAfterTheLetterInProgressOnClose(startReactive(), "reactive-module");
    }

    /** Every auto-configuration of the jar, sorted with Axon's (the module replaces Axon's EventProcessingModule). */
    static final AutoConfigurations EVERY_AXON_DLQ_AUTO_CONFIGURATION = AutoConfigurations.of(
            io.axondlq.spring.AxonDlqAutoConfiguration.class, io.axondlq.spring.AxonDlqFlywayAutoConfiguration.class,
            io.axondlq.spring.jobs.AxonDlqJobsAutoConfiguration.class,
            io.axondlq.spring.AxonDlqMetricsAutoConfiguration.class,
            io.axondlq.spring.AxonDlqHealthAutoConfiguration.class, AxonDlqWebAutoConfiguration.class,
            io.axondlq.spring.web.security.AxonDlqWebSecurityAutoConfiguration.class,
            AxonDlqDashboardAutoConfiguration.class);

    /**
     * A WebFlux application without the servlet stack (no spring-webmvc, no servlet API, as with only
     * {@code spring-boot-starter-webflux}): every auto-configuration's classes load, the servlet-only ones back off.
     */
    @Test
    void onAWebFluxOnlyClasspathTheServletOnlyPartsBackOffAndTheRestIsThere() {
        new ReactiveWebApplicationContextRunner()
                .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
                .withConfiguration(EVERY_AXON_DLQ_AUTO_CONFIGURATION)
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .withClassLoader(new FilteredClassLoader("org.springframework.web.servlet", "jakarta.servlet"))
                .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true",
                                    "axon.dlq.rest.enabled=true", "axon.dlq.ui.enabled=true")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(DeadLetterStore.class);
                    assertThat(context).hasSingleBean(DeadLetteringEventProcessingModule.class);
                    assertThat(context).hasSingleBean(DeadLetterOperations.class);
                    assertThat(context).hasSingleBean(RetryJobs.class);
                    assertThat(context.getBean(JobWorkerLifecycle.class).isRunning()).isTrue();
                    assertThat(context).hasSingleBean(RedeliveryShutdownSignal.class);
                    assertThat(context).hasSingleBean(DeadLetterHealthIndicator.class);
                    assertThat(context).hasSingleBean(MicrometerDeadLetterObserver.class);
                    assertThat(webBeans(context.getSourceApplicationContext()))
                            .as("REST API, dashboard and security beans").isEmpty();
                });
    }
}
