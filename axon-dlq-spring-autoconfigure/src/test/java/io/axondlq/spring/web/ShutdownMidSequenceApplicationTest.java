package io.axondlq.spring.web;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.RedeliveryShutdownSignal;
import io.axondlq.spring.jobs.JobWorkerLifecycle;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.axondlq.spring.web.shutdownapp.EntryBooked;
import io.axondlq.spring.web.shutdownapp.GatedLedger;
import io.axondlq.spring.web.shutdownapp.ShutdownTestApplication;
import io.axondlq.spring.web.testapp.PostgresTestApplication;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A whole Spring Boot application (embedded Tomcat, the auto-configuration as users get it, a pooled processor) is
 * closed while a retry job or the automatic retry redelivers a long sequence and its handler is inside one letter; a
 * second application on the same database then goes on. The runner- and scheduler-level tests (RetryJobsTest,
 * AutoRetrySchedulerTest) wire the worker by hand; these close the context as a user's application is closed. Then
 * an operator's REST redelivery in flight while the application shuts down, with {@code server.shutdown=graceful}
 * (Spring Boot's default) and {@code immediate}. H2 here; {@link PostgresShutdownMidSequenceApplicationTest} on
 * PostgreSQL.
 */
class ShutdownMidSequenceApplicationTest {

    static final String GROUP = GatedLedger.GROUP;
    static final int LETTERS = 20;
    /** The letter whose handler waits at its gate while the context closes. */
    static final int GATED = 5;

    final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    FreshDatabase db;
    JdbcTemplate jdbc;

    TestDatabase database() {
        return TestDatabase.H2;
    }

    @BeforeEach
    void freshDatabase() {
        GatedLedger.reset();
        db = TestDatabases.fresh(database());
        jdbc = new JdbcTemplate(db.dataSource());
    }

    @AfterEach
    void closeEverything() {
        GatedLedger.GATES.values().forEach(CountDownLatch::countDown);
        contexts.forEach(ConfigurableApplicationContext::close);
        GatedLedger.reset();
        db.close();
    }

    /** The application on {@link #db}, with {@code extra} properties ({@code name=value}). */
    ConfigurableApplicationContext start(String... extra) {
        return start(new Class<?>[]{ShutdownTestApplication.class}, extra);
    }

    /** The application of {@code sources} on {@link #db}, with {@code extra} properties ({@code name=value}). */
    ConfigurableApplicationContext start(Class<?>[] sources, String... extra) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("server.port", "0");
        properties.put("spring.main.banner-mode", "off");
        properties.put("spring.jmx.enabled", "false");
        properties.put("spring.flyway.enabled", "false");
        properties.put("spring.sql.init.mode", "never");
        properties.put("axon.axonserver.enabled", "false");
        properties.put("axon.serializer.general", "jackson");
        properties.put("axon.serializer.events", "jackson");
        properties.put("axon.serializer.messages", "jackson");
        properties.put("axon.eventhandling.processors." + GROUP + ".mode", "pooled");
        properties.put("axon.eventhandling.processors." + GROUP + ".initial-segment-count", "2");
        properties.put("axon.dlq.retry.max-attempts", "2");
        properties.put("axon.dlq.retry.backoff.initial", "1ms");
        properties.put("axon.dlq.retry.backoff.max", "2ms");
        properties.put("axon.dlq.claim.lease", "5s");
        properties.put("axon.dlq.retry-jobs.poll-interval", "50ms");
        properties.put("axon.dlq.jdbc.initialize-schema", "always");
        if (db.kind() == TestDatabase.POSTGRES) {
            PostgresTestApplication.use(db, (name, value) -> properties.put(name, value.get()));
        } else {
            properties.put("spring.datasource.url", db.jdbcUrl());
            properties.put("spring.datasource.username", db.dataSource().getUsername());
            properties.put("spring.datasource.password", db.dataSource().getPassword());
        }
        for (String property : extra) {
            int equals = property.indexOf('=');
            properties.put(property.substring(0, equals), property.substring(equals + 1));
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(sources)
                .properties(properties).registerShutdownHook(false).run();
        contexts.add(context);
        return context;
    }

    /**
     * A fresh sequence of {@value #LETTERS} letters: its first event failed (poisoned), the rest parked behind it;
     * then cured, with a gate on letter {@value #GATED}.
     */
    static String seedLetters(ConfigurableApplicationContext context, String prefix, CountDownLatch gate) {
        String key = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        GatedLedger.POISONED.add(key);
        EventStore events = context.getBean(EventStore.class);
        DeadLetterStore store = context.getBean(DeadLetterStore.class);
        for (int i = 0; i < LETTERS; i++) {
            events.publish(new GenericDomainEventMessage<>("Entry", key, i, new EntryBooked(key, i)));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> store.sequenceSize(GROUP, key) == LETTERS);
        GatedLedger.GATES.put(new EntryBooked(key, GATED).id(), gate);
        GatedLedger.POISONED.remove(key);
        return key;
    }

    /** Every letter of the sequence: index, id, attempts, cause, touch time. */
    List<Map<String, Object>> letters(String key) {
        return jdbc.queryForList("SELECT sequence_index, letter_id, attempts, cause_type, cause_message, last_touched "
                                         + "FROM axon_dlq_letter WHERE processing_group = ? AND sequence_key = ? "
                                         + "ORDER BY sequence_index", GROUP, key);
    }

    long attemptRows(String key) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_attempt a JOIN axon_dlq_letter l "
                                           + "ON a.letter_id = l.letter_id WHERE l.sequence_key = ?", Long.class, key);
    }

    List<Integer> handled(String key) {
        return jdbc.queryForList("SELECT idx FROM shutdown_ledger WHERE sequence_key = ? ORDER BY idx", Integer.class,
                                 key);
    }

    /** What the close in progress ended with, once it did. */
    record Closing(Thread thread, AtomicReference<Throwable> failure) {
    }

    static Closing closeInBackground(ConfigurableApplicationContext context) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                context.close();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "closing-context");
        thread.start();
        return new Closing(thread, failure);
    }

    /**
     * The sequence after the close: the letters after the gated one untouched, the gated one either redelivered
     * (gone, its write committed) or kept exactly as it was (no attempt added); the letters before it redelivered.
     */
    void assertStoppedAfterTheGatedLetter(String key, List<Map<String, Object>> before, long attemptRowsBefore) {
        List<Map<String, Object>> after = letters(key);
        List<Map<String, Object>> untouched = before.subList(GATED + 1, LETTERS);
        List<Integer> handled = handled(key);
        if (after.size() == LETTERS - GATED - 1) {
            // The letter in progress committed before the redelivery stopped.
            assertThat(after).as("letters after the one in progress").isEqualTo(untouched);
            assertThat(handled).as("handled (committed) entries").containsExactly(0, 1, 2, 3, 4, 5);
        } else {
            assertThat(after).as("the letter in progress kept as it was, and every letter after it")
                             .isEqualTo(before.subList(GATED, LETTERS));
            assertThat(handled).as("handled (committed) entries").containsExactly(0, 1, 2, 3, 4);
        }
        assertThat(attemptRows(key)).as("attempt history of the letters left").isEqualTo(attemptRowsBefore);
    }

    long attemptRowsAfterTheGated(String key, List<Map<String, Object>> before) {
        return jdbc.queryForObject(
                "SELECT COUNT(*) FROM axon_dlq_attempt a JOIN axon_dlq_letter l ON a.letter_id = l.letter_id "
                        + "WHERE l.sequence_key = ? AND l.sequence_index >= ?", Long.class, key,
                before.get(GATED).get("sequence_index"));
    }

    /**
     * The worker thread that ran the gated letter ends: this context's own (other tests' contexts in the same JVM may
     * run workers of the same name).
     */
    static void awaitWorkerThreadEnded(String gated) throws InterruptedException {
        Thread worker = GatedLedger.GATED_THREADS.get(gated);
        assertThat(worker.getName()).isEqualTo("axon-dlq-worker");
        worker.join(Duration.ofSeconds(60).toMillis());
        assertThat(worker.isAlive()).as("hang guard: the worker thread ended").isFalse();
    }

    /** The close ends; also when {@code andThen} follows it (the gate opened only after the whole close). */
    static void awaitClosed(Closing closing) throws InterruptedException {
        closing.thread().join(Duration.ofSeconds(90).toMillis());
        assertThat(closing.thread().isAlive()).as("hang guard: the context closed").isFalse();
        assertThat(closing.failure().get()).isNull();
    }

    void assertHandledOnceEach(String key) {
        assertThat(letters(key)).isEmpty();
        assertThat(handled(key)).as("each entry handled once, in order")
                                .containsExactlyElementsOf(IntStream.range(0, LETTERS).boxed().toList());
    }

    // --- retry job ------------------------------------------------------------------------------------------------

    private UUID startJob(ConfigurableApplicationContext context) {
        return context.getBean(RetryJobs.class)
                      .create(new RetryJobRequest(GROUP, null, null, null, null, 10, Duration.ZERO, 100), null,
                              "alice").job().id();
    }

    /** The job was given back unfinished: running, its sequence pending, nothing counted. */
    private void assertJobPaused(UUID jobId) {
        Map<String, Object> job = jdbc.queryForMap("SELECT state, succeeded, failed, skipped FROM axon_dlq_retry_job "
                                                           + "WHERE job_id = ?", jobId);
        assertThat(job.get("state")).isEqualTo("RUNNING");
        assertThat(((Number) job.get("succeeded")).intValue() + ((Number) job.get("failed")).intValue()
                           + ((Number) job.get("skipped")).intValue()).as("sequences counted").isZero();
        assertThat(jdbc.queryForList("SELECT outcome FROM axon_dlq_retry_job_sequence WHERE job_id = ?",
                                     String.class, jobId)).containsExactly("PENDING");
    }

    private void assertTheNextStartFinishes(UUID jobId, String key) {
        ConfigurableApplicationContext second = start();
        RetryJobs jobs = second.getBean(RetryJobs.class);
        await().atMost(Duration.ofSeconds(90))
               .until(() -> jobs.find(jobId).orElseThrow().state() != RetryJob.State.RUNNING);
        RetryJob done = jobs.find(jobId).orElseThrow();
        assertThat(done.state()).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(done.succeeded()).isEqualTo(1);
        assertThat(done.failed()).isZero();
        assertHandledOnceEach(key);
    }

    @Test
    void aRetryJobStopsAfterTheLetterInProgressWhenTheApplicationClosesAndTheNextStartFinishesIt() throws Exception {
        ConfigurableApplicationContext first = start();
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(first, "job", gate);
        List<Map<String, Object>> before = letters(key);
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        JobWorkerLifecycle worker = first.getBean(JobWorkerLifecycle.class);
        UUID jobId = startJob(first);
        String gated = new EntryBooked(key, GATED).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        Closing closing = closeInBackground(first);
        // The interleaving: the close has asked the worker to stop while the handler is inside the letter.
        await().atMost(Duration.ofSeconds(30)).until(() -> !worker.isRunning());
        assertThat(GatedLedger.WAITING).as("handler inside the letter when the stop was asked").contains(gated);
        assertThat(closing.thread().isAlive()).as("the close waits for the letter in progress").isTrue();
        gate.countDown();
        awaitClosed(closing);

        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertJobPaused(jobId);
        assertTheNextStartFinishes(jobId, key);
    }

    /**
     * The letter outlasts the worker's stop timeout: the close goes on without it (the processor stops, the DataSource
     * closes) and the handler returns only after the whole context has closed. The letter commits if its connection
     * survived the pool's close, or is kept as it was; no letter after it is touched, and the next start finishes the
     * job once the closed node's leases have lapsed.
     */
    @Test
    void aLetterThatOutlastsTheCloseIsKeptAsItWasAndTheNextStartFinishesTheJob() throws Exception {
        ConfigurableApplicationContext first = start();
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(first, "late", gate);
        List<Map<String, Object>> before = letters(key);
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        UUID jobId = startJob(first);
        String gated = new EntryBooked(key, GATED).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        awaitClosed(closeInBackground(first));
        assertThat(GatedLedger.WAITING).as("handler still inside the letter after the close").contains(gated);
        gate.countDown();
        awaitWorkerThreadEnded(gated);

        // Committed (H2: the closed pool's abort leaves the connection open) or rolled back (PostgreSQL: the abort
        // closes it); either way without an attempt held against it, and nothing after it.
        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertJobPaused(jobId);
        assertTheNextStartFinishes(jobId, key);
    }

    /**
     * A phase timeout shorter than the worker's own stop timeout (10 s) bounds the close: the worker stops through
     * Spring's asynchronous stop, so the close waits for the letter in progress only as long as the phase timeout
     * allows, then goes on as when the worker's own wait runs out (the letter kept as it was or committed, the job
     * given back unfinished).
     */
    @Test
    void theShutdownPhaseTimeoutBoundsTheWaitForTheLetterInProgress() throws Exception {
        ConfigurableApplicationContext first = start("spring.lifecycle.timeout-per-shutdown-phase=1s");
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(first, "phase", gate);
        List<Map<String, Object>> before = letters(key);
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        UUID jobId = startJob(first);
        String gated = new EntryBooked(key, GATED).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        long started = System.nanoTime();
        Closing closing = closeInBackground(first);
        // Hang guard: the phase timeout (1 s) plus a generous margin, still short of the worker's own 10 s.
        closing.thread().join(Duration.ofSeconds(8).toMillis());
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(closing.thread().isAlive())
                .as("the close ended within the phase timeout plus a margin (took %s so far)", took).isFalse();
        assertThat(closing.failure().get()).isNull();
        assertThat(GatedLedger.WAITING).as("handler still inside the letter after the close").contains(gated);
        gate.countDown();
        awaitWorkerThreadEnded(gated);

        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertJobPaused(jobId);
        assertTheNextStartFinishes(jobId, key);
    }

    // --- automatic retry ------------------------------------------------------------------------------------------

    static final String[] AUTO_RETRY = {"axon.dlq.auto-retry.enabled=true",
            "axon.dlq.auto-retry.schedule=300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms",
            "axon.dlq.auto-retry.poll-interval=50ms"};

    private Map<String, Object> autoRetryCount(String key) {
        return jdbc.queryForMap("SELECT auto_retries, auto_retried_at FROM axon_dlq_sequence "
                                        + "WHERE processing_group = ? AND sequence_key = ?", GROUP, key);
    }

    private long autoRetryAudit(String key) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit WHERE action = 'auto-redeliver' AND target = ?",
                                   Long.class, key);
    }

    @Test
    void anAutomaticRetryStopsAfterTheLetterInProgressWhenTheApplicationClosesAndTheNextStartDrainsIt()
            throws Exception {
        ConfigurableApplicationContext first = start(AUTO_RETRY);
        CountDownLatch gate = new CountDownLatch(1);
        // Poisoned until seeded: automatic retries before the cure fail at the first letter and count.
        String key = seedLetters(first, "auto", gate);
        JobWorkerLifecycle worker = first.getBean(JobWorkerLifecycle.class);
        String gated = new EntryBooked(key, GATED).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));
        // The letters from the gated one on are untouched by the retries so far (they stop at the first letter).
        List<Map<String, Object>> before = new ArrayList<>(Collections.nCopies(GATED, Map.of()));
        before.addAll(letters(key));
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        Map<String, Object> retriesBefore = autoRetryCount(key);
        long auditBefore = autoRetryAudit(key);

        Closing closing = closeInBackground(first);
        await().atMost(Duration.ofSeconds(30)).until(() -> !worker.isRunning());
        assertThat(GatedLedger.WAITING).as("handler inside the letter when the stop was asked").contains(gated);
        assertThat(closing.thread().isAlive()).as("the close waits for the letter in progress").isTrue();
        gate.countDown();
        awaitClosed(closing);

        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertThat(autoRetryCount(key)).as("the stopped retry is not counted").isEqualTo(retriesBefore);
        assertThat(autoRetryAudit(key)).as("nor audited").isEqualTo(auditBefore);

        start(AUTO_RETRY);
        await().atMost(Duration.ofSeconds(60)).until(() -> letters(key).isEmpty());
        assertHandledOnceEach(key);
        assertThat(jdbc.queryForObject("SELECT outcome FROM axon_dlq_audit WHERE action = 'auto-redeliver' "
                                               + "AND target = ? ORDER BY occurred_at DESC FETCH FIRST 1 ROWS ONLY",
                                       String.class, key)).isEqualTo("success");
    }

    /** As {@link #aLetterThatOutlastsTheCloseIsKeptAsItWasAndTheNextStartFinishesTheJob}, for the automatic retry. */
    @Test
    void anAutomaticRetryWhoseLetterOutlastsTheCloseCountsNothingAndTheNextStartDrainsIt() throws Exception {
        ConfigurableApplicationContext first = start(AUTO_RETRY);
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(first, "autolate", gate);
        String gated = new EntryBooked(key, GATED).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));
        List<Map<String, Object>> before = new ArrayList<>(Collections.nCopies(GATED, Map.of()));
        before.addAll(letters(key));
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        Map<String, Object> retriesBefore = autoRetryCount(key);
        long auditBefore = autoRetryAudit(key);

        awaitClosed(closeInBackground(first));
        assertThat(GatedLedger.WAITING).as("handler still inside the letter after the close").contains(gated);
        gate.countDown();
        awaitWorkerThreadEnded(gated);

        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertThat(autoRetryCount(key)).as("the stopped retry is not counted").isEqualTo(retriesBefore);
        assertThat(autoRetryAudit(key)).as("nor audited").isEqualTo(auditBefore);

        start(AUTO_RETRY);
        await().atMost(Duration.ofSeconds(90)).until(() -> letters(key).isEmpty());
        assertHandledOnceEach(key);
    }

    // --- a REST redelivery in flight while the application shuts down -----------------------------------------------

    static final String[] GRACEFUL = {"server.shutdown=graceful", "spring.lifecycle.timeout-per-shutdown-phase=20s"};

    static Http operator(ConfigurableApplicationContext context) {
        return operator(((WebServerApplicationContext) context).getWebServer().getPort());
    }

    /** A client of its own (so new connections), as an operator with the default write authority. */
    static Http operator(int port) {
        return new Http(port, TestAuthenticationFilter.USER, "operator", TestAuthenticationFilter.AUTHORITIES,
                        "DLQ_ADMIN");
    }

    /** A request on a connection of its own: its status, or -1 when the server refused or dropped it. */
    static int statusOnANewConnection(int port, String method, String path) {
        try {
            return operator(port).send(method, path, null).status();
        } catch (UncheckedIOException refused) {
            return -1;
        }
    }

    static String redeliverPath(String key) {
        return "/processing-groups/" + GROUP + "/sequences/" + key + "/redeliver";
    }

    /** The redeliver-sequence audit entries of the sequence: outcome. */
    List<String> redeliverSequenceAudit(String key) {
        return jdbc.queryForList("SELECT outcome FROM axon_dlq_audit WHERE action = 'redeliver-sequence' "
                                         + "AND target = ?", String.class, key);
    }

    List<String> redeliverLetterFailures(String key) {
        return jdbc.queryForList("SELECT a.target FROM axon_dlq_audit a WHERE a.action = 'redeliver-letter' "
                                         + "AND a.outcome = 'failure' AND a.parameters LIKE ?", String.class,
                                 "%" + key + "%");
    }

    /**
     * Graceful shutdown while an operator's sequence redelivery waits in a letter's handler: the job worker has
     * stopped, the web server refuses new requests (a second redelivery changes nothing), the processor still runs;
     * the request in flight finishes within the grace period, answers in full, and its effect commits.
     */
    @Test
    void aRedeliveryRequestInFlightDuringAGracefulShutdownCompletesAndNewRequestsAreRefused() throws Exception {
        ConfigurableApplicationContext app = start(GRACEFUL);
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(app, "rest", gate);
        String other = seedLetters(app, "other", new CountDownLatch(0));
        List<Map<String, Object>> othersBefore = letters(other);
        int port = ((WebServerApplicationContext) app).getWebServer().getPort();
        JobWorkerLifecycle worker = app.getBean(JobWorkerLifecycle.class);
        EventProcessor processor = app.getBean(EventProcessingConfiguration.class)
                                      .eventProcessorByProcessingGroup(GROUP).orElseThrow();
        String gated = new EntryBooked(key, GATED).id();
        MeterRegistry registry = app.getBean(MeterRegistry.class);
        double succeededBefore = redeliveries(registry, "success");
        double failedBefore = redeliveries(registry, "failure");
        CompletableFuture<Http.Response> inFlight =
                CompletableFuture.supplyAsync(() -> operator(app).post(redeliverPath(key), null));
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        Closing closing = closeInBackground(app);
        // Draining: the server takes no new request (a new connection is refused).
        await().atMost(Duration.ofSeconds(30))
               .until(() -> statusOnANewConnection(port, "GET", "/processing-groups") == -1);
        assertThat(statusOnANewConnection(port, "POST", redeliverPath(other))).as("a new redelivery").isEqualTo(-1);
        assertThat(GatedLedger.WAITING).as("the request in flight is inside the letter").contains(gated);
        assertThat(worker.isRunning()).as("the job worker stopped before the server drains").isFalse();
        assertThat(processor.isRunning()).as("the processor runs while the server drains").isTrue();
        assertThat(inFlight).isNotDone();
        gate.countDown();

        Http.Response response = inFlight.get(90, TimeUnit.SECONDS);
        awaitClosed(closing);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(response.json().path("redelivered").asInt()).isEqualTo(LETTERS);
        assertHandledOnceEach(key);
        assertThat(redeliverSequenceAudit(key)).containsExactly("success");
        assertThat(redeliverLetterFailures(key)).isEmpty();
        assertThat(letters(other)).as("the refused request changed nothing").isEqualTo(othersBefore);
        assertThat(redeliveries(registry, "success")).isEqualTo(succeededBefore + LETTERS);
        assertThat(redeliveries(registry, "failure")).isEqualTo(failedBefore);
    }

    /**
     * The grace period runs out while the request's handler is still inside a letter: the server stops (and aborts
     * the request), then the processor, then the DataSource closes. The letter in progress is committed or kept as it
     * was, with no attempt held against it (the shutdown broke it, not the letter), and the redelivery goes no
     * further: the letters after it wait for the operator's next request.
     */
    @Test
    void aRedeliveryRequestThatOutlastsTheGracePeriodStopsAfterItsLetterAndCountsNoFailure() throws Exception {
        stopARedeliveryRequestInFlight("abort", "server.shutdown=graceful",
                                       "spring.lifecycle.timeout-per-shutdown-phase=1s");
    }

    /** The same without graceful shutdown: the server stops at once. */
    @Test
    void aRedeliveryRequestInFlightWithAnImmediateShutdownStopsAfterItsLetterAndCountsNoFailure() throws Exception {
        stopARedeliveryRequestInFlight("immediate", "server.shutdown=immediate");
    }

    private void stopARedeliveryRequestInFlight(String prefix, String... properties) throws Exception {
        ConfigurableApplicationContext app = start(properties);
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(app, prefix, gate);
        List<Map<String, Object>> before = letters(key);
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        String gated = new EntryBooked(key, GATED).id();
        MeterRegistry registry = app.getBean(MeterRegistry.class);
        double failuresBefore = redeliveries(registry, "failure");
        CompletableFuture<Http.Response> inFlight =
                CompletableFuture.supplyAsync(() -> operator(app).post(redeliverPath(key), null));
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        Closing closing = closeInBackground(app);
        // The web server's stop (after the grace period) interrupts the request's thread inside the letter.
        await().atMost(Duration.ofSeconds(60)).until(() -> GatedLedger.INTERRUPTED.contains(gated)
                || !closing.thread().isAlive());
        assertThat(GatedLedger.INTERRUPTED).as("the handler was interrupted inside the letter").contains(gated);
        gate.countDown();
        awaitClosed(closing);
        await().atMost(Duration.ofSeconds(60)).until(inFlight::isDone);
        awaitNoRequestThreadIn(key);

        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
        assertThat(redeliverLetterFailures(key)).as("failures audited").isEmpty();
        assertThat(redeliveries(registry, "failure")).as("failures counted").isEqualTo(failuresBefore);

        // The operator's next request, after the restart, goes on where the stopped one ended.
        Http.Response next = operator(start()).post(redeliverPath(key), null);
        assertThat(next.status()).as(next.toString()).isEqualTo(200);
        assertThat(next.json().path("outcome").asText()).isEqualTo("DRAINED");
        assertHandledOnceEach(key);
    }

    // --- the module's redeliverer, called by the application's own code -------------------------------------------

    /**
     * The application's own code redelivers through {@code DeadLetteringEventProcessingModule#redeliverer()}, on a
     * thread of its own, while the application closes: once it is closing, that redelivery ends after the letter in
     * progress, as one through REST or the Java API does, and does not go on to the next letter (gated too, so that
     * going on shows) while the processors stop.
     */
    @Test
    void aRedeliveryThroughTheModulesRedelivererEndsAfterTheLetterInProgressWhenTheApplicationCloses()
            throws Exception {
        assertARedeliveryThroughTheModulesRedelivererEndsAfterTheLetterInProgressOnClose(start(), "module");
    }

    /**
     * A redelivery through {@code module.redeliverer()} on a thread of the application's own, the context closed while
     * the handler is inside the gated letter: the redelivery ends after it ({@code LIMIT_REACHED}) and the letters
     * after it are untouched. Shared by the servlet, non-web and reactive applications' tests.
     */
    void assertARedeliveryThroughTheModulesRedelivererEndsAfterTheLetterInProgressOnClose(
            ConfigurableApplicationContext app, String keyPrefix) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        String key = seedLetters(app, keyPrefix, gate);
        String next = new EntryBooked(key, GATED + 1).id();
        GatedLedger.GATES.put(next, new CountDownLatch(1));
        List<Map<String, Object>> before = letters(key);
        long attemptRowsBefore = attemptRowsAfterTheGated(key, before);
        String gated = new EntryBooked(key, GATED).id();
        DeadLetterRedeliverer redeliverer = app.getBean(DeadLetteringEventProcessingModule.class).redeliverer();
        SmartLifecycle closingSignal = app.getBean("axonDlqRedeliveryShutdownSignal", SmartLifecycle.class);
        CompletableFuture<RedeliveryResult> inFlight =
                CompletableFuture.supplyAsync(() -> redeliverer.redeliver(GROUP, key));
        // Holds the close after the closing signal, before the processors stop and the DataSource closes, until the
        // redelivery ends: what it does once the application is closing shows in the database, not as a closed pool.
        app.getBeanFactory().registerSingleton("holdTheCloseForTheRedelivery", new HoldTheClose(inFlight));
        await().atMost(Duration.ofSeconds(30)).until(() -> GatedLedger.WAITING.contains(gated));

        Closing closing = closeInBackground(app);
        // The interleaving: the application is closing while the handler is inside the letter.
        await().atMost(Duration.ofSeconds(30)).until(() -> !closingSignal.isRunning());
        assertThat(GatedLedger.WAITING).as("handler inside the letter when the application closed").contains(gated);
        gate.countDown();
        await().atMost(Duration.ofSeconds(60)).until(() -> inFlight.isDone() || GatedLedger.WAITING.contains(next));
        boolean wentOn = GatedLedger.WAITING.contains(next);
        GatedLedger.GATES.get(next).countDown();
        awaitClosed(closing);
        assertThat(wentOn).as("the redelivery went on to the letter after the one in progress").isFalse();

        RedeliveryResult result = inFlight.get(60, TimeUnit.SECONDS);
        assertThat(result.outcome()).as(result.toString()).isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
        assertStoppedAfterTheGatedLetter(key, before, attemptRowsBefore);
    }

    /**
     * The closing signal stopped and started again, as the context's lifecycle processor does on {@code stop()} and
     * {@code start()} (the whole context cannot show it here: Axon's pooled processor refuses to start again after a
     * stop, its executor terminated): while stopped, the module's redeliverer ends after the first letter; once
     * started again, a redelivery drains the whole sequence rather than ending after its first letter.
     */
    @Test
    void aRedeliveryAfterTheClosingSignalStartedAgainIsNotLimitedToItsFirstLetter() {
        ConfigurableApplicationContext app = start();
        String key = seedLetters(app, "restart", new CountDownLatch(0));
        SmartLifecycle closingSignal = app.getBean("axonDlqRedeliveryShutdownSignal", SmartLifecycle.class);
        DeadLetterRedeliverer redeliverer = app.getBean(DeadLetteringEventProcessingModule.class).redeliverer();

        assertFirstLetterOnlyWhileStoppedAndDrainedOnceStartedAgain(closingSignal, redeliverer, key);
    }

    /**
     * A redelivery of all of a group's sequences started once the application is closing tries one letter only, as a
     * sequence redelivery does, rather than the first letter of every sequence while the processors stop and the
     * beans the handlers use close.
     */
    @Test
    void aRedeliveryOfAllSequencesStartedWhileClosingTriesOneLetterOnly() {
        ConfigurableApplicationContext app = start();
        String first = seedLetters(app, "all-a", new CountDownLatch(0));
        String second = seedLetters(app, "all-b", new CountDownLatch(0));
        SmartLifecycle closingSignal = app.getBean("axonDlqRedeliveryShutdownSignal", SmartLifecycle.class);
        DeadLetterRedeliverer redeliverer = app.getBean(DeadLetterRedeliverer.class);

        closingSignal.stop();
        List<RedeliveryResult> results = redeliverer.redeliverAll(GROUP, 10);
        closingSignal.start();

        assertThat(handled(first).size() + handled(second).size()).as("letters handled, of " + results).isEqualTo(1);
        assertThat(results).singleElement().extracting(RedeliveryResult::outcome)
                           .isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
    }

    /**
     * An application that defines its own {@code DeadLetteringEventProcessingModule} bean, as the README says, with
     * {@code redeliveryStopSignal(signal::closing)} and the {@code RedeliveryShutdownSignal} bean: the module's
     * redeliverer (the {@code DeadLetterRedeliverer} bean) hears the closing signal, ending after the first letter
     * while it is stopped, and drains the sequence once it has started again.
     */
    @Test
    void anOwnModuleBeanGivenTheClosingSignalEndsItsRedeliveriesAfterTheLetterInProgressOnceClosing() {
        ConfigurableApplicationContext app = start(new Class<?>[]{ShutdownTestApplication.class, OwnModule.class});
        DeadLetteringEventProcessingModule module = app.getBean(DeadLetteringEventProcessingModule.class);
        assertThat(module).as("the application's own module").isSameAs(OwnModule.built);
        DeadLetterRedeliverer redeliverer = app.getBean(DeadLetterRedeliverer.class);
        assertThat(redeliverer).isSameAs(module.redeliverer());
        String key = seedLetters(app, "own-module", new CountDownLatch(0));
        RedeliveryShutdownSignal closingSignal = app.getBean(RedeliveryShutdownSignal.class);

        assertFirstLetterOnlyWhileStoppedAndDrainedOnceStartedAgain(closingSignal, redeliverer, key);
    }

    /** While the closing signal is stopped a redelivery ends after its first letter; started again, it drains. */
    private void assertFirstLetterOnlyWhileStoppedAndDrainedOnceStartedAgain(SmartLifecycle closingSignal,
                                                                           DeadLetterRedeliverer redeliverer,
                                                                           String key) {
        closingSignal.stop();
        RedeliveryResult whileClosing = redeliverer.redeliver(GROUP, key);
        assertThat(whileClosing.outcome()).as(whileClosing.toString())
                                          .isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
        assertThat(handled(key)).as("handled while closing").containsExactly(0);

        closingSignal.start();
        RedeliveryResult afterTheStart = redeliverer.redeliver(GROUP, key);
        assertThat(afterTheStart.outcome()).as(afterTheStart.toString())
                                           .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertHandledOnceEach(key);
    }

    /** The application's own module bean, built as the README shows (not scanned: a source of its test only). */
    static class OwnModule {

        static volatile DeadLetteringEventProcessingModule built;

        @Bean
        public DeadLetteringEventProcessingModule eventProcessingModule(ObjectProvider<DeadLetterStore> store,
                                                                        RedeliveryShutdownSignal signal) {
            built = DeadLetteringEventProcessingModule.builder()
                                                      .store(c -> store.getObject())
                                                      .settings(group -> new GroupSettings(
                                                              ExponentialBackoffRetryPolicy.builder().maxAttempts(1)
                                                                                           .build(),
                                                              Isolation.SAVEPOINT_PER_ATTEMPT, false))
                                                      .redeliveryStopSignal(signal::closing)
                                                      .build();
            return built;
        }
    }

    /** Stops just after the closing signal: waits (bounded) for {@code until} to end. */
    record HoldTheClose(CompletableFuture<?> until) implements SmartLifecycle {

        @Override
        public void start() {
        }

        @Override
        public void stop() {
            try {
                until.handle((result, failure) -> null).get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("hang guard: the redelivery did not end", e);
            }
        }

        @Override
        public boolean isRunning() {
            return !until.isDone();
        }

        @Override
        public int getPhase() {
            return WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE - 2;
        }
    }

    /** {@code axon.dlq.redeliveries} of the group with {@code outcome}; the registry outlives its context. */
    static double redeliveries(MeterRegistry registry, String outcome) {
        Counter counter = registry.find(MicrometerDeadLetterObserver.REDELIVERIES)
                                  .tag(MicrometerDeadLetterObserver.GROUP_TAG, GROUP)
                                  .tag(MicrometerDeadLetterObserver.OUTCOME_TAG, outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    /** The request's thread has left the handler and the redelivery (nothing of it runs on afterwards). */
    static void awaitNoRequestThreadIn(String key) {
        await().atMost(Duration.ofSeconds(60)).until(() -> Thread.getAllStackTraces().entrySet().stream().noneMatch(
                e -> e.getKey().isAlive() && Arrays.stream(e.getValue()).anyMatch(
                        frame -> frame.getClassName().equals(
                                "io.axondlq.core.redelivery.DeadLetterRedeliverer"))));
    }
}
