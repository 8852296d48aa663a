package io.axondlq.spring.web;

import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.AxonDlqHealthAutoConfiguration;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.jobs.JobWorkerLifecycle;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.Closing;
import io.axondlq.spring.web.shutdownapp.EntryBooked;
import io.axondlq.spring.web.shutdownapp.GatedLedger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.web.context.WebApplicationContext;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.GATED;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.GROUP;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.LETTERS;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.awaitClosed;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.closeInBackground;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.redeliveries;
import static io.axondlq.spring.web.ShutdownMidSequenceApplicationTest.seedLetters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shutdown tests' application ({@link ShutdownMidSequenceApplicationTest}: the auto-configuration as users get
 * it, a pooled processor, H2) run as a non-web application, {@code spring.main.web-application-type=none}, as a
 * worker without a web server is run: the store, the invoker, retry jobs, automatic retry, metrics and health work
 * as in a web application and no bean of the REST API, the dashboard or its security is there. The closing signal is
 * a {@code SmartLifecycle} ordered against the web server's graceful shutdown; without a web server it still stops
 * in its phase, so a redelivery through the module's redeliverer, and a retry job, end after the letter in progress
 * when the context closes.
 */
class NonWebApplicationTest {

    static final String NONE = "spring.main.web-application-type=none";

    final ShutdownMidSequenceApplicationTest app = new ShutdownMidSequenceApplicationTest();

    @BeforeEach
    void freshDatabase() {
        app.freshDatabase();
    }

    @AfterEach
    void closeEverything() {
        app.closeEverything();
    }

    ConfigurableApplicationContext startWithoutAWebServer(String... extra) {
        String[] properties = Arrays.copyOf(extra, extra.length + 1);
        properties[extra.length] = NONE;
        ConfigurableApplicationContext context = app.start(properties);
        assertThat(context).isNotInstanceOf(WebApplicationContext.class)
                           .isNotInstanceOf(WebServerApplicationContext.class);
        return context;
    }

    static double counted(MeterRegistry registry, String name) {
        return registry.find(name).tag(MicrometerDeadLetterObserver.GROUP_TAG, GROUP).counters().stream()
                       .mapToDouble(Counter::count).sum();
    }

    /** Beans of the REST API, the dashboard and their security: every one is in {@code io.axondlq.spring.web}. */
    static List<String> webBeans(ConfigurableApplicationContext context) {
        return Arrays.stream(context.getBeanDefinitionNames())
                     .filter(name -> {
                         Class<?> type = context.getType(name);
                         return type != null && type.getPackageName().startsWith("io.axondlq.spring.web")
                                 && !type.getPackageName().startsWith("io.axondlq.spring.web.shutdownapp");
                     }).toList();
    }

    @Test
    void aPoisonEventIsDeadLetteredItsFollowersParkAndARetryJobDrainsThemWithoutAWebServer() {
        ConfigurableApplicationContext context = startWithoutAWebServer();
        assertThat(webBeans(context)).as("REST API, dashboard and security beans").isEmpty();
        assertThat(context.getBeansOfType(DeadLetterStore.class)).hasSize(1);
        assertThat(context.getBeansOfType(DeadLetterOperations.class)).hasSize(1);
        assertThat(context.getBean(JobWorkerLifecycle.class).isRunning()).isTrue();
        MeterRegistry registry = context.getBean(MeterRegistry.class);
        DeadLetterHealthIndicator health =
                context.getBean(AxonDlqHealthAutoConfiguration.BEAN_NAME, DeadLetterHealthIndicator.class);
        double enqueuedBefore = counted(registry, MicrometerDeadLetterObserver.ENQUEUED);
        double parkedBefore = counted(registry, MicrometerDeadLetterObserver.PARKED);
        double succeededBefore = redeliveries(registry, "success");

        String key = seedLetters(context, "nonweb", new CountDownLatch(0));
        List<Map<String, Object>> letters = app.letters(key);
        assertThat(letters).hasSize(LETTERS);
        assertThat(letters.get(0).get("attempts")).as("the poison event tried max-attempts times")
                                                  .isEqualTo(2);
        assertThat(letters.get(0).get("cause_type")).isEqualTo(IllegalStateException.class.getName());
        // The poison event's tries rolled back their row; the followers parked without being handled.
        assertThat(app.handled(key)).isEmpty();
        assertThat(counted(registry, MicrometerDeadLetterObserver.ENQUEUED)).isEqualTo(enqueuedBefore + 1);
        assertThat(counted(registry, MicrometerDeadLetterObserver.PARKED)).isEqualTo(parkedBefore + LETTERS - 1);
        Health reported = health.health();
        assertThat(reported.getStatus()).isEqualTo(Status.UP);
        assertThat(reported.getDetails().get("letters")).isEqualTo((long) LETTERS);

        RetryJobs jobs = context.getBean(RetryJobs.class);
        UUID jobId = jobs.create(new RetryJobRequest(GROUP, null, null, null, null, 10, Duration.ZERO, 100), null,
                                 "alice").job().id();
        await().atMost(Duration.ofSeconds(60))
               .until(() -> jobs.find(jobId).orElseThrow().state() != RetryJob.State.RUNNING);
        RetryJob done = jobs.find(jobId).orElseThrow();
        assertThat(done.state()).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(done.succeeded()).isEqualTo(1);
        app.assertHandledOnceEach(key);
        assertThat(redeliveries(registry, "success")).isEqualTo(succeededBefore + LETTERS);
        assertThat(health.health().getDetails().get("letters")).isEqualTo(0L);
    }

    @Test
    void automaticRetryDrainsACuredSequenceWithoutAWebServer() {
        ConfigurableApplicationContext context = startWithoutAWebServer(ShutdownMidSequenceApplicationTest.AUTO_RETRY);
        String key = seedLetters(context, "nonweb-auto", new CountDownLatch(0));
        await().atMost(Duration.ofSeconds(60)).until(() -> app.letters(key).isEmpty());
        app.assertHandledOnceEach(key);
        assertThat(app.jdbc.queryForList("SELECT outcome FROM axon_dlq_audit WHERE action = 'auto-redeliver' "
                                                 + "AND target = ? AND outcome = 'success'", String.class, key))
                .hasSize(1);
    }

    /**
     * As {@code ShutdownMidSequenceApplicationTest#aRedeliveryThroughTheModulesRedelivererEndsAfterTheLetterInProgress
     * WhenTheApplicationCloses}, without a web server: the closing signal still stops before the processors do.
     */
    @Test
    void aRedeliveryThroughTheRedelivererEndsAfterTheLetterInProgressWhenANonWebApplicationCloses()
            throws Exception {
        app.assertARedeliveryThroughTheModulesRedelivererEndsAfterTheLetterInProgressOnClose(startWithoutAWebServer(), "nonweb-module");
    }

    /** A retry job in the middle of a sequence: the worker stops, the close waits for the letter in progress. */
    @Test
    void aRetryJobStopsAfterTheLetterInProgressWhenANonWebApplicationCloses() throws Exception {
        ConfigurableApplicationContext context = startWithoutAWebServer();
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(context, "nonweb-job", gate);
        List<Map<String, Object>> before = app.letters(key);
        long attemptRowsBefore = app.attemptRowsAfterTheGated(key, before);
        JobWorkerLifecycle worker = context.getBean(JobWorkerLifecycle.class);
        UUID jobId = context.getBean(RetryJobs.class)
                            .create(new RetryJobRequest(GROUP, null, null, null, null, 10, Duration.ZERO, 100), null,
                                    "alice").job().id();
        String gated = new EntryBooked(key, GATED).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        Closing closing = closeInBackground(context);
        await().atMost(Duration.ofSeconds(30)).until(() -> !worker.isRunning());
        assertThat(GatedLedger.WAITING).as("handler inside the letter when the stop was asked").contains(gated);
        assertThat(closing.thread().isAlive()).as("the close waits for the letter in progress").isTrue();
        gate.countDown();
        awaitClosed(closing);

        app.assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertThat(app.jdbc.queryForObject("SELECT state FROM axon_dlq_retry_job WHERE job_id = ?", String.class,
                                           jobId)).as("given back unfinished").isEqualTo("RUNNING");
        assertThat(Objects.requireNonNull(GatedLedger.GATED_THREADS.get(gated)).getName())
                .isEqualTo("axon-dlq-worker");
    }
}
