package io.axondlq.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.jobs.AuditLogRetryJobAudit;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.JobWorker;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.jobs.JdbcRetryJobProgress;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.SequenceSummary;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import io.axondlq.testsupport.DatabaseTestBase;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import io.axondlq.testsupport.ProcessorThreads;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.config.Configuration;
import org.axonframework.config.Configurer;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.lifecycle.Phase;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.transaction.PlatformTransactionManager;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.retry.RetryDecision;
import io.axondlq.core.retry.RetryPolicy;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.axonframework.messaging.deadletter.Decisions;
import org.slf4j.LoggerFactory;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The README's "Without Spring Boot" section, as a non-Spring Axon user runs it: the snippet compiled and run as
 * written (and checked against the README's text, so the two cannot drift), around it a plain
 * {@code DefaultConfigurer} application on the test's database.
 */
abstract class WithoutSpringBootTest extends DatabaseTestBase {

    /** The README's snippet, line for line; {@link #theSnippetIsTheReadmes()} holds the README to it. */
    static final String SNIPPET = """
            JdbcDeadLetterStore store = JdbcDeadLetterStore.builder()
                    .dataSource(dataSource).transactionManager(platformTransactionManager)
                    .eventSerializer(eventSerializer).genericSerializer(serializer).build();
            SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);          // the store's tables
            SchemaInitializer.initialize(dataSource, SqlDialect.detect(dataSource), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                    SchemaInitializer.OPERATIONS_SCRIPT);                                                // the audit log's
            DeadLetteringEventProcessingModule module = DeadLetteringEventProcessingModule.builder()
                    .store(store)
                    .savepoints(c -> new JdbcSavepoints(dataSource))
                    .enabledGroups(group -> true)
                    .build();
            Configurer configurer = DefaultConfigurer.defaultConfiguration().registerModule(module)
                    .configureTransactionManager(c -> new SpringTransactionManagerAdapter(platformTransactionManager));
            """;

    static final String OPERATIONS_SNIPPET = """
            DeadLetterOperations operations = new DeadLetterOperations(
                    store, new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX),   // stamped by the database's clock
                    platformTransactionManager, observer, module::redeliverer);
            operations.redeliverSequence("jane", "orders", "order-42");
            """;

    record OrderPlaced(String orderId, long seq) {
    }

    @ProcessingGroup("orders")
    public static class OrderProjection {

        final Set<String> poisoned = ConcurrentHashMap.newKeySet();
        /** {@code orderId/seq} to the latch its handler waits for, after its write. */
        final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
        /** {@code orderId/seq} of the handlers waiting at their gate now. */
        final Set<String> waiting = ConcurrentHashMap.newKeySet();
        final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
        final JdbcTemplate jdbc;

        OrderProjection(DataSource dataSource) {
            this.jdbc = new JdbcTemplate(dataSource);
        }

        @EventHandler
        void on(OrderPlaced event) throws InterruptedException {
            attempts.computeIfAbsent(event.orderId(), k -> new AtomicInteger()).incrementAndGet();
            // Written first: a failed attempt must leave nothing behind (the savepoints of the snippet).
            jdbc.update("INSERT INTO readme_orders (order_id, seq) VALUES (?, ?)", event.orderId(), event.seq());
            String id = event.orderId() + "/" + event.seq();
            CountDownLatch gate = gates.get(id);
            if (gate != null) {
                waiting.add(id);
                try {
                    gate.await();
                } finally {
                    waiting.remove(id);
                }
            }
            if (poisoned.contains(event.orderId())) {
                throw new IllegalStateException("order " + event.orderId() + " cannot be projected");
            }
        }

        int attemptsOf(String orderId) {
            AtomicInteger count = attempts.get(orderId);
            return count == null ? 0 : count.get();
        }

        List<Long> projected(String orderId) {
            return jdbc.queryForList("SELECT seq FROM readme_orders WHERE order_id = ? ORDER BY ord", Long.class,
                                     orderId);
        }
    }

    /** Catches a shutdown that hangs; times nothing (see {@link #shutDownEndingTheWait}). */
    static final Duration SHUTDOWN_HANG_GUARD = Duration.ofMinutes(2);

    final EventStorageEngine storageEngine = new OrderedInMemoryEventStorageEngine();
    final List<Configuration> started = new ArrayList<>();
    JdbcTemplate jdbc;

    @BeforeEach
    void cleanDatabase() {
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));
        jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS readme_orders (ord BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                             + "order_id VARCHAR(100) NOT NULL, seq BIGINT NOT NULL)");
        JdbcTokenStore.builder().connectionProvider(dataSource::getConnection)
                      .serializer(JacksonSerializer.defaultSerializer()).build()
                      .createSchema(testDatabase == TestDatabase.POSTGRES ? PostgresTokenTableFactory.INSTANCE
                                            : GenericTokenTableFactory.INSTANCE);
        jdbc.execute("DELETE FROM readme_orders");
        jdbc.execute("DELETE FROM TokenEntry");
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        SchemaInitializer.initialize(dataSource, SqlDialect.detect(dataSource), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     SchemaInitializer.OPERATIONS_SCRIPT);
        for (String table : List.of("axon_dlq_attempt", "axon_dlq_letter", "axon_dlq_sequence")) {
            jdbc.execute("DELETE FROM " + table);
        }
    }

    @AfterEach
    void shutDown() {
        started.forEach(Configuration::shutdown);
    }

    @Test
    void theSnippetIsTheReadmes() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        String snippet = SNIPPET + "// ... configure processors as usual; operator actions after start, audited and counted:\n"
                + OPERATIONS_SNIPPET;
        assertThat(readme).contains("```java\n" + snippet + "```");
    }

    @Test
    void theReadmeSnippetParksAFailingEventAndRedeliversItAfterTheFix() {
        PlatformTransactionManager platformTransactionManager = new DataSourceTransactionManager(dataSource);
        Serializer eventSerializer = JacksonSerializer.defaultSerializer();
        Serializer serializer = JacksonSerializer.defaultSerializer();
        DeadLetterObserver observer = DeadLetterObserver.NOOP;
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.add("order-42");

        // --- README, verbatim (SNIPPET)
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder()
                .dataSource(dataSource).transactionManager(platformTransactionManager)
                .eventSerializer(eventSerializer).genericSerializer(serializer).build();
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);          // the store's tables
        SchemaInitializer.initialize(dataSource, SqlDialect.detect(dataSource), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                SchemaInitializer.OPERATIONS_SCRIPT);                                                // the audit log's
        DeadLetteringEventProcessingModule module = DeadLetteringEventProcessingModule.builder()
                .store(store)
                .savepoints(c -> new JdbcSavepoints(dataSource))
                .enabledGroups(group -> true)
                .build();
        Configurer configurer = DefaultConfigurer.defaultConfiguration().registerModule(module)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(platformTransactionManager));
        // --- end of SNIPPET

        // "configure processors as usual": what a plain Axon application on this database does.
        configureAsUsual(configurer, serializer)
                .eventProcessing(ep -> ep.usingPooledStreamingEventProcessors()
                                         .registerEventHandler(c -> projection));
        Configuration config = start(configurer);
        publish(config, "order-41", 0);
        publish(config, "order-42", 0);
        publish(config, "order-41", 1);
        publish(config, "order-42", 1);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(projection.projected("order-41")).containsExactly(0L, 1L);
            assertThat(store.letters("orders", LetterFilter.none(), 10, null).items())
                    .extracting(StoredLetter::sequenceKey).containsExactly("order-42", "order-42");
        });
        assertThat(projection.projected("order-42")).as("the failed attempts' writes, undone").isEmpty();

        projection.poisoned.clear();
        // --- README, verbatim (OPERATIONS_SNIPPET), but for the result kept
        DeadLetterOperations operations = new DeadLetterOperations(
                store, new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX),   // stamped by the database's clock
                platformTransactionManager, observer, module::redeliverer);
        RedeliveryResult result = operations.redeliverSequence("jane", "orders", "order-42");
        // --- end of OPERATIONS_SNIPPET

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(2);
        assertThat(projection.projected("order-42")).containsExactly(0L, 1L);
        assertThat(store.sequence("orders", "order-42")).isEmpty();
        assertThat(operations.auditEntries(10, null).items())
                .anySatisfy(entry -> {
                    assertThat(entry.actor()).isEqualTo("jane");
                    assertThat(entry.action()).isEqualTo(DeadLetterOperations.REDELIVER_SEQUENCE);
                });
    }

    /**
     * {@code Configurer.registerEventHandler} (like {@code eventProcessing(...)}) makes Axon register a plain
     * EventProcessingModule when none is there yet: registered after that, axon-dlq's module gets no handlers and
     * Axon's builds the processors, whose failures its LoggingErrorHandler logs and skips. The README asks for the
     * module first; a start that ignores the order must fail, not run without dead-lettering.
     */
    @Test
    void aModuleRegisteredAfterAxonCreatedItsOwnEventProcessingModuleFailsTheStart() {
        PlatformTransactionManager platformTransactionManager = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder()
                                                       .dataSource(dataSource)
                                                       .transactionManager(platformTransactionManager)
                                                       .eventSerializer(serializer).genericSerializer(serializer)
                                                       .build();
        DeadLetteringEventProcessingModule module = DeadLetteringEventProcessingModule.builder().store(store).build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration(), serializer)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(platformTransactionManager));
        configurer.registerEventHandler(c -> projection)   // Axon's own EventProcessingModule, created here
                  .registerModule(module);

        assertThatThrownBy(() -> start(configurer))
                .isInstanceOf(AxonConfigurationException.class)
                .hasMessageContaining(DeadLetteringEventProcessingModule.class.getSimpleName())
                .hasMessageContaining("eventProcessing()");
    }

    /**
     * An Axon user coming from Axon's own dead-letter queue registers an {@code EnqueuePolicy} (here: never
     * dead-letter). For an axon-dlq group it decides nothing about live failures (axon-dlq's retry policy does), only
     * about letters processed through Axon's {@code sequencedDeadLetterProcessor}: the start must say so, not ignore
     * it without a word.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void anAxonEnqueuePolicyOfAnAxonDlqGroupIsReportedAtStart(boolean forTheGroup) {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.add("order-42");
        JdbcDeadLetterStore store = store(transactions, serializer);
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder().store(store)
                                                  .savepoints(c -> new JdbcSavepoints(dataSource)).build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module),
                                                 serializer)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        configurer.eventProcessing(ep -> {
            ep.usingPooledStreamingEventProcessors().registerEventHandler(c -> projection);
            if (forTheGroup) {
                ep.registerDeadLetterPolicy("orders", c -> (letter, cause) -> Decisions.doNotEnqueue());
            } else {
                ep.registerDefaultDeadLetterPolicy(c -> (letter, cause) -> Decisions.doNotEnqueue());
            }
        });

        List<ILoggingEvent> warnings = warnings(DeadLetteringEventProcessingModule.class, () -> {
            Configuration config = start(configurer);
            publish(config, "order-42", 0);
            // axon-dlq's retry policy decides: dead-lettered, although the policy says never.
            await().atMost(Duration.ofSeconds(30))
                   .untilAsserted(() -> assertThat(store.sequence("orders", "order-42")).isPresent());
        });

        assertThat(warnings).as("WARN events of the module at start")
                            .anySatisfy(event -> assertThat(event.getFormattedMessage())
                                    .contains("[orders]").contains("EnqueuePolicy"));
    }

    /** The WARN events {@code type}'s logger logs while {@code action} runs. */
    static List<ILoggingEvent> warnings(Class<?> type, Runnable action) {
        return warnings(LoggerFactory.getLogger(type), action);
    }

    /** The WARN events of {@code logger} and the loggers below it while {@code action} runs. */
    static List<ILoggingEvent> warnings(org.slf4j.Logger slf4jLogger, Runnable action) {
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) slf4jLogger;
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            action.run();
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
    }

    /**
     * Per-group settings from a map ({@code settings(perGroup::get)}) answer null for a group the map lacks: the start
     * must name the group and the setting, not fail with a NullPointerException from inside the module.
     */
    @Test
    void settingsWithoutAnAnswerForAGroupFailTheStartNamingIt() {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        JdbcDeadLetterStore store = store(transactions, serializer);
        Map<String, GroupSettings> perGroup = Map.of("billing", GroupSettings.DEFAULT);
        DeadLetteringEventProcessingModule module = DeadLetteringEventProcessingModule.builder().store(store)
                                                                                      .settings(perGroup::get)
                                                                                      .build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module),
                                                 serializer)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        OrderProjection projection = new OrderProjection(dataSource);
        configurer.eventProcessing(ep -> ep.usingPooledStreamingEventProcessors().registerEventHandler(c -> projection));

        // Axon builds the processors in a start handler, which wraps what it throws.
        assertThatThrownBy(() -> start(configurer))
                .rootCause().isInstanceOf(AxonConfigurationException.class)
                .hasMessageContaining("[orders]").hasMessageContaining("settings");
    }

    /**
     * A bulk retry job without Spring Boot: core's JDBC jobs, leases and runner on one {@code JobWorker}, redelivering
     * through the operations service, and the job's create, per-sequence outcomes and end in the audit log, as the
     * Spring Boot application records them. That audit needs the {@code RetryJobAudit} adapter to the audit log,
     * which lived in the Spring Boot module only.
     */
    @Test
    void aRetryJobWithoutSpringBootRedeliversAndIsAudited() {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.addAll(List.of("order-42", "order-43"));
        JdbcDeadLetterStore store = store(transactions, serializer);
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder().store(store)
                                                  .savepoints(c -> new JdbcSavepoints(dataSource)).build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module),
                                                 serializer)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        configurer.eventProcessing(ep -> ep.usingPooledStreamingEventProcessors().registerEventHandler(c -> projection));
        Configuration config = start(configurer);
        publish(config, "order-42", 0);
        publish(config, "order-43", 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> store.sequences("orders", 10, null).items().size() == 2);
        projection.poisoned.clear();

        String prefix = SchemaInitializer.DEFAULT_TABLE_PREFIX;
        JdbcAuditLog auditLog = new JdbcAuditLog(dataSource, prefix);
        RetryJobAudit jobAudit = new AuditLogRetryJobAudit(auditLog);
        JdbcLeases leases = new JdbcLeases(dataSource, transactions, prefix);
        JdbcRetryJobs jobs = new JdbcRetryJobs(dataSource, transactions, prefix, store, leases, jobAudit,
                                               Duration.ofHours(1), new DatabaseClock(dataSource));
        DeadLetterOperations operations = new DeadLetterOperations(store, auditLog, transactions,
                                                                   DeadLetterObserver.NOOP, module::redeliverer);
        RetryJobRunner runner = new RetryJobRunner(
                new JdbcRetryJobProgress(dataSource, transactions, prefix, leases, jobAudit),
                RetryJobRunner.Redelivery.whereProcessorRuns(operations),
                JobWorker.ownerName("node-1"),
                new RetryJobRunner.Settings(Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(5)),
                new DatabaseClock(dataSource));
        JobWorker worker = new JobWorker(List.of(runner), Duration.ofSeconds(5));
        worker.start();
        try {
            RetryJob job = jobs.create(new RetryJobRequest("orders", null, null, null, null, 10, Duration.ZERO, 100),
                                       null, "jane").job();
            await().atMost(Duration.ofSeconds(30))
                   .until(() -> jobs.find(job.id()).orElseThrow().state() != RetryJob.State.RUNNING);
            assertThat(jobs.find(job.id()).orElseThrow().state()).isEqualTo(RetryJob.State.COMPLETED);
        } finally {
            worker.stop();
        }
        assertThat(projection.projected("order-42")).containsExactly(0L);
        assertThat(projection.projected("order-43")).containsExactly(0L);
        assertThat(operations.auditEntries(100, null).items())
                .extracting(AuditEntry::actor, AuditEntry::action)
                .contains(tuple("jane", RetryJobAudit.CREATE),
                          tuple(RetryJobAudit.SYSTEM_ACTOR, RetryJobAudit.SEQUENCE),
                          tuple(RetryJobAudit.SYSTEM_ACTOR, RetryJobAudit.FINISH));
    }

    /**
     * The module's stop signal in a hand-wired application, raised as the README says by an Axon shutdown handler in
     * a phase above the processors': an operator's redelivery through the module's redeliverer, inside a letter's
     * handler when {@code config.shutdown()} begins, ends after that letter; the letters after it wait, untouched
     * and in order, and the next redelivery (after the restart) drains them.
     */
    @Test
    void theModulesStopSignalEndsARedeliveryAfterTheLetterInProgressWhenAxonShutsDown() throws Exception {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.add("order-42");
        JdbcDeadLetterStore store = store(transactions, serializer);
        AtomicBoolean closing = new AtomicBoolean();
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder().store(store)
                                                  .savepoints(c -> new JdbcSavepoints(dataSource))
                                                  .redeliveryStopSignal(closing::get)
                                                  .build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module),
                                                 serializer)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        // Axon shuts the highest phases down first: this one before the processors.
        configurer.onShutdown(Phase.INBOUND_EVENT_CONNECTORS + 1, () -> closing.set(true));
        configurer.eventProcessing(ep -> ep.usingPooledStreamingEventProcessors().registerEventHandler(c -> projection));
        Configuration config = start(configurer);
        for (long seq = 0; seq < 6; seq++) {
            publish(config, "order-42", seq);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> store.sequenceSize("orders", "order-42") == 6);
        projection.poisoned.clear();
        List<StoredLetter> before = store.letters("orders", LetterFilter.none(), 10, null).items();
        CountDownLatch gate = new CountDownLatch(1);
        projection.gates.put("order-42/2", gate);
        DeadLetterOperations operations = new DeadLetterOperations(
                store, new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX), transactions,
                DeadLetterObserver.NOOP, module::redeliverer);
        CompletableFuture<RedeliveryResult> inFlight =
                CompletableFuture.supplyAsync(() -> operations.redeliverSequence("jane", "orders", "order-42"));
        await().atMost(Duration.ofSeconds(30)).until(() -> projection.waiting.contains("order-42/2"));

        started.remove(config);
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(config::shutdown);
        await().atMost(Duration.ofSeconds(30)).until(closing::get);
        assertThat(projection.waiting).as("the handler inside the letter when the stop signal was raised")
                                      .contains("order-42/2");
        gate.countDown();
        RedeliveryResult result = inFlight.get(60, TimeUnit.SECONDS);
        shutdown.get(60, TimeUnit.SECONDS);

        assertThat(result.outcome()).as(result.toString()).isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
        assertThat(result.redelivered()).isEqualTo(3);
        assertThat(projection.projected("order-42")).as("handled and committed").containsExactly(0L, 1L, 2L);
        assertThat(store.letters("orders", LetterFilter.none(), 10, null).items())
                .as("the letters after the one in progress, untouched")
                .extracting(StoredLetter::id, StoredLetter::attempts)
                .containsExactlyElementsOf(before.subList(3, 6).stream()
                                                 .map(l -> tuple(l.id(), l.attempts())).toList());
        RedeliveryResult whileRaised = module.redeliverer().redeliver("orders", "order-42");
        assertThat(whileRaised.outcome()).as("a redelivery while the signal is raised: its first letter only")
                                         .isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
        assertThat(whileRaised.redelivered()).isEqualTo(1);
        closing.set(false);
        assertThat(module.redeliverer().redeliver("orders", "order-42").outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(projection.projected("order-42")).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    }

    /**
     * Automatic retry without Spring Boot, as the README says it is wired: core's {@code AutoRetryScheduler} on a
     * {@code JobWorker}, redelivering through the operations service, its retries written to the audit log by
     * {@code AuditLogRetryJobAudit}, as the Spring Boot application records them.
     */
    @Test
    void automaticRetryWithoutSpringBootRedeliversAndIsAudited() {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.add("order-42");
        JdbcDeadLetterStore store = store(transactions, serializer);
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder().store(store)
                                                  .savepoints(c -> new JdbcSavepoints(dataSource)).build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module),
                                                 serializer)
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
        configurer.eventProcessing(ep -> ep.usingPooledStreamingEventProcessors().registerEventHandler(c -> projection));
        Configuration config = start(configurer);
        publish(config, "order-42", 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> store.sequences("orders", 10, null).items().size() == 1);
        projection.poisoned.clear();

        String prefix = SchemaInitializer.DEFAULT_TABLE_PREFIX;
        JdbcAuditLog auditLog = new JdbcAuditLog(dataSource, prefix);
        DeadLetterOperations operations = new DeadLetterOperations(store, auditLog, transactions,
                                                                   DeadLetterObserver.NOOP, module::redeliverer);
        Duration poll = Duration.ofMillis(100);
        AutoRetryScheduler scheduler = new AutoRetryScheduler(
                store, new JdbcLeases(dataSource, transactions, prefix), transactions,
                AutoRetryScheduler.Redelivery.whereProcessorRuns(operations),
                module::isEnabled, new AuditLogRetryJobAudit(auditLog), JobWorker.ownerName("node-1"),
                new AutoRetryScheduler.Settings(List.of(Duration.ZERO), poll, 10,
                                                AutoRetryScheduler.Settings.leaseFor(poll, Duration.ofSeconds(30))),
                new DatabaseClock(dataSource));
        JobWorker worker = new JobWorker(List.of(scheduler), Duration.ofSeconds(5));
        worker.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> store.sequences("orders", 10, null).items().isEmpty());
        } finally {
            worker.stop();
        }
        assertThat(projection.projected("order-42")).containsExactly(0L);
        assertThat(operations.auditEntries(100, null).items())
                .extracting(AuditEntry::actor, AuditEntry::action, AuditEntry::target)
                .contains(tuple(RetryJobAudit.SYSTEM_ACTOR, RetryJobAudit.AUTO_RETRY, "order-42"));
    }

    /**
     * A RetryPolicy of the application's own may ask for any wait; one beyond what {@code Duration.toNanos()} holds
     * (here {@code ChronoUnit.FOREVER}: "until the processor stops") made the back-off throw ArithmeticException, so
     * the batch failed and the processor ran the event again after its own error back-off, attempt after attempt.
     * The wait must hold until the processor stops, and the stop must end it: nothing dead-lettered, and the next
     * configuration on the same database handles the event.
     */
    @ParameterizedTest
    @EnumSource(value = ProcessorType.class, names = {"TRACKING", "POOLED"})
    void aRetryWaitBeyondWhatNanosecondsHoldWaitsUntilTheProcessorStops(ProcessorType type) {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.add("order-42");
        JdbcDeadLetterStore store = store(transactions, serializer);
        RetryPolicy waitForever = (event, failure, failedAttempts) ->
                RetryDecision.retryAfter(ChronoUnit.FOREVER.getDuration());
        Configuration config = start(configurer(type, transactions, serializer, projection, waitForever, store));
        List<ILoggingEvent> processorWarnings = warnings(LoggerFactory.getLogger("org.axonframework.eventhandling"),
                                                         () -> {
            publish(config, "order-42", 0);
            await().atMost(Duration.ofSeconds(30)).until(() -> projection.attemptsOf("order-42") >= 1);
            // Longer than the tracking processor's first error back-offs (1 s, 2 s).
            sleep(Duration.ofSeconds(3));
        });
        assertThat(projection.attemptsOf("order-42")).as("attempts while the first retry waits").isEqualTo(1);
        assertThat(processorWarnings).as("the processor's failures while the first retry waits")
                                     .extracting(ILoggingEvent::getFormattedMessage).isEmpty();

        shutDownEndingTheWait(config);
        assertThat(projection.attemptsOf("order-42")).as("attempts while shutting down").isEqualTo(1);
        assertThat(store.sequence("orders", "order-42")).as("dead-lettered by a stopping processor").isEmpty();

        projection.poisoned.clear();
        start(configurer(type, transactions, serializer, projection, waitForever, store));
        await().atMost(Duration.ofSeconds(30))
               .untilAsserted(() -> assertThat(projection.projected("order-42")).containsExactly(0L));
        assertThat(store.sequence("orders", "order-42")).isEmpty();
    }

    private Configurer configurer(ProcessorType type, PlatformTransactionManager transactions, Serializer serializer,
                                  OrderProjection projection, RetryPolicy policy, JdbcDeadLetterStore store) {
        Configurer configurer = retryingConfigurer(transactions, serializer, policy, store);
        configurer.eventProcessing(ep -> (type == ProcessorType.TRACKING ? ep.usingTrackingEventProcessors()
                : ep.usingPooledStreamingEventProcessors()).registerEventHandler(c -> projection));
        return configurer;
    }

    /** axon-dlq's module with the given retry policy and CHECKPOINT isolation, the processors' stop waited out. */
    private Configurer retryingConfigurer(PlatformTransactionManager transactions, Serializer serializer,
                                          RetryPolicy policy, JdbcDeadLetterStore store) {
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder().store(store)
                                                  .savepoints(c -> new JdbcSavepoints(dataSource))
                                                  .settings(group -> new GroupSettings(
                                                          policy, DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT,
                                                          true))
                                                  .build();
        return waitingOutTheProcessorsStop(
                configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module), serializer))
                .configureTransactionManager(c -> new SpringTransactionManagerAdapter(transactions));
    }

    /** A handler without {@code @ProcessingGroup}: put in a group by the configuration's assignment rules. */
    public static class LedgerProjection extends OrderProjection {

        LedgerProjection(DataSource dataSource) {
            super(dataSource);
        }
    }

    /**
     * Axon's own configuration calls a non-Spring application uses, each with a visible effect: the group comes from
     * {@code assignHandlerTypesMatching}, its processor from {@code assignProcessingGroup}, the sequence keys from
     * {@code registerSequencingPolicy}, the transactions (and so the savepoints) from the processor's own
     * {@code registerTransactionManager}; redelivery runs through {@code registerHandlerInterceptor}'s interceptor; the
     * group's {@code ListenerInvocationErrorHandler} is not used (README). Then the configuration is shut down and a new
     * one (new module, new store object) starts on the same database: the parked sequence holds the next event of the
     * order behind it, and the new node redelivers both in order.
     */
    @ParameterizedTest
    @EnumSource(value = ProcessorType.class, names = {"TRACKING", "POOLED"})
    void axonsConfigurerPathsAndARestartOnTheSameDatabase(ProcessorType type) {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        LedgerProjection projection = new LedgerProjection(dataSource);
        projection.poisoned.add("order-42");
        List<String> intercepted = new CopyOnWriteArrayList<>();
        List<String> errorHandlerCalls = new CopyOnWriteArrayList<>();

        Ledger first = startLedger(type, transactions, serializer, projection, intercepted, errorHandlerCalls);
        publish(first.config(), "order-41", 0);
        publish(first.config(), "order-42", 0);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(projection.projected("order-41")).containsExactly(0L);
            assertThat(first.store().letters("ledger", LetterFilter.none(), 10, null).items())
                    .extracting(StoredLetter::sequenceKey).containsExactly("acct:order-42");
        });
        assertThat(projection.projected("order-42")).as("the failed attempts' writes, undone").isEmpty();
        assertThat(errorHandlerCalls).as("the group's ListenerInvocationErrorHandler, not used").isEmpty();

        first.config().shutdown();
        started.remove(first.config());

        Ledger second = startLedger(type, transactions, serializer, projection, intercepted, errorHandlerCalls);
        publish(second.config(), "order-42", 1);
        publish(second.config(), "order-41", 1);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(projection.projected("order-41")).containsExactly(0L, 1L);
            assertThat(second.store().sequence("ledger", "acct:order-42")).get()
                    .extracting(SequenceSummary::size).isEqualTo(2);
        });
        assertThat(projection.projected("order-42")).as("order-42#1, parked behind order-42#0 after the restart")
                                                    .isEmpty();

        projection.poisoned.clear();
        intercepted.clear();
        RedeliveryResult result = second.operations().redeliverSequence("jane", "ledger", "acct:order-42");
        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(projection.projected("order-42")).containsExactly(0L, 1L);
        assertThat(intercepted).as("redelivered through the processor's registered interceptor")
                               .containsExactly("order-42#0", "order-42#1");
    }

    record Ledger(Configuration config, JdbcDeadLetterStore store, DeadLetterOperations operations) {
    }

    private Ledger startLedger(ProcessorType type, PlatformTransactionManager transactions, Serializer serializer,
                               LedgerProjection projection, List<String> intercepted, List<String> errorHandlerCalls) {
        JdbcDeadLetterStore store = store(transactions, serializer);
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder().store(store)
                                                  .savepoints(c -> new JdbcSavepoints(dataSource)).build();
        Configurer configurer = configureAsUsual(DefaultConfigurer.defaultConfiguration().registerModule(module),
                                                 serializer);
        configurer.eventProcessing(ep -> {
            ep.registerEventHandler(c -> projection)
              .assignHandlerTypesMatching("ledger", LedgerProjection.class::isAssignableFrom)
              .assignProcessingGroup("ledger", "ledger-processor")
              .registerSequencingPolicy("ledger", c -> event -> event.getPayload() instanceof OrderPlaced order
                      ? "acct:" + order.orderId() : null)
              .registerTransactionManager("ledger-processor",
                                          c -> new SpringTransactionManagerAdapter(transactions))
              .registerHandlerInterceptor("ledger-processor", c -> (unitOfWork, chain) -> {
                  if (unitOfWork.getMessage().getPayload() instanceof OrderPlaced order) {
                      intercepted.add(order.orderId() + "#" + order.seq());
                  }
                  return chain.proceed();
              })
              .registerListenerInvocationErrorHandler("ledger", c -> (exception, event, handler) ->
                      errorHandlerCalls.add(exception.getMessage()));
            if (type == ProcessorType.TRACKING) {
                ep.registerTrackingEventProcessor(
                        "ledger-processor", Configuration::eventStore,
                        c -> TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                                                                .andEventAvailabilityTimeout(100, TimeUnit.MILLISECONDS));
            } else {
                ep.registerPooledStreamingEventProcessor("ledger-processor", Configuration::eventStore,
                                                         (c, builder) -> builder.initialSegmentCount(2));
            }
        });
        Configuration config = start(configurer);
        DeadLetterOperations operations = new DeadLetterOperations(
                store, new JdbcAuditLog(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX), transactions,
                DeadLetterObserver.NOOP, module::redeliverer);
        return new Ledger(config, store, operations);
    }

    /**
     * {@code config.shutdown()} while a failed event waits for its next attempt: the shutdown does not sit out the
     * back-offs, dead-letters nothing, and the next configuration on the same database handles the event (Axon's
     * default processor kinds, {@code usingTrackingEventProcessors} / {@code usingPooledStreamingEventProcessors},
     * and a default sequencing policy).
     */
    @ParameterizedTest
    @EnumSource(value = ProcessorType.class, names = {"TRACKING", "POOLED"})
    void configurationShutdownDuringARetryBackoff(ProcessorType type) {
        PlatformTransactionManager transactions = new DataSourceTransactionManager(dataSource);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        OrderProjection projection = new OrderProjection(dataSource);
        projection.poisoned.add("order-42");
        AtomicInteger attempts = new AtomicInteger();
        JdbcDeadLetterStore store = store(transactions, serializer);
        Function<ExponentialBackoffRetryPolicy, Configuration> startWith = policy -> {
            Configurer configurer = retryingConfigurer(transactions, serializer, policy, store);
            configurer.eventProcessing(ep -> {
                (type == ProcessorType.TRACKING ? ep.usingTrackingEventProcessors()
                        : ep.usingPooledStreamingEventProcessors())
                        .registerDefaultSequencingPolicy(c -> SequentialPerAggregatePolicy.instance())
                        .registerEventHandler(c -> projection)
                        .registerHandlerInterceptor("orders", c -> (unitOfWork, chain) -> {
                            attempts.incrementAndGet();
                            return chain.proceed();
                        });
            });
            return start(configurer);
        };
        // Hours: a shutdown that ends at all (see shutDownEndingTheWait) did not sit the back-off out.
        ExponentialBackoffRetryPolicy slow = ExponentialBackoffRetryPolicy.builder().maxAttempts(6)
                                                                          .initialBackoff(Duration.ofHours(3))
                                                                          .maxBackoff(Duration.ofHours(3))
                                                                          .multiplier(1.0).build();
        Configuration config = startWith.apply(slow);
        publish(config, "order-42", 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> projection.attemptsOf("order-42") >= 1);
        int before = projection.attemptsOf("order-42");

        shutDownEndingTheWait(config);

        assertThat(projection.attemptsOf("order-42")).as("attempts while shutting down").isEqualTo(before);
        assertThat(store.sequence("orders", "order-42")).as("dead-lettered by a stopping processor").isEmpty();

        projection.poisoned.clear();
        startWith.apply(slow);
        await().atMost(Duration.ofSeconds(30))
               .untilAsserted(() -> assertThat(projection.projected("order-42")).containsExactly(0L));
        assertThat(store.sequence("orders", "order-42")).isEmpty();
    }

    /**
     * {@code config.shutdown()} under a hang guard only: the retry waits of these tests are hours long, so a shutdown
     * that returns within the guard ended the wait. The configuration is set up (see
     * {@link #waitingOutTheProcessorsStop}) so that neither Axon's lifecycle phase timeout nor the tracking
     * processor's forced interrupt of its workers can make the shutdown return while the wait goes on.
     */
    private void shutDownEndingTheWait(Configuration config) {
        // Not shut down again after a hang: the test has failed, and a second shutdown would hang too.
        started.remove(config);
        assertTimeoutPreemptively(SHUTDOWN_HANG_GUARD, config::shutdown,
                                  "config.shutdown() still waiting: the stop did not end the retry wait");
    }

    /**
     * Axon's shutdown returns after a lifecycle phase timeout (5 s) even when the processor has not stopped, and the
     * tracking processor interrupts its workers after their termination timeout (5 s): both longer than the hang
     * guard here (and both far shorter than the waits), so that only the stop ending the retry wait lets the shutdown
     * return within the guard, while a later shutdown (after the test) cannot hang for long.
     */
    private static Configurer waitingOutTheProcessorsStop(Configurer configurer) {
        long beyondTheGuard = SHUTDOWN_HANG_GUARD.multipliedBy(5).toMillis();
        configurer.configureLifecyclePhaseTimeout(beyondTheGuard, TimeUnit.MILLISECONDS);
        configurer.eventProcessing(ep -> ep.registerTrackingEventProcessorConfiguration(
                c -> TrackingEventProcessorConfiguration.forSingleThreadedProcessing()
                                                        .andWorkerTerminationTimeout(beyondTheGuard,
                                                                                     TimeUnit.MILLISECONDS)));
        return configurer;
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The JDBC store on the test's database, in the given transactions, with one serializer for everything. */
    JdbcDeadLetterStore store(PlatformTransactionManager transactions, Serializer serializer) {
        return JdbcDeadLetterStore.builder().dataSource(dataSource).transactionManager(transactions)
                                  .eventSerializer(serializer).genericSerializer(serializer).build();
    }

    /** Serializers, event store, JDBC token store (joining the application's transactions): a plain Axon application. */
    Configurer configureAsUsual(Configurer configurer, Serializer serializer) {
        TransactionAwareDataSourceProxy transactional = new TransactionAwareDataSourceProxy(dataSource);
        return configurer.configureSerializer(c -> serializer)
                         .configureEventSerializer(c -> serializer)
                         .configureEmbeddedEventStore(c -> storageEngine)
                         .registerComponent(TokenStore.class,
                                            c -> JdbcTokenStore.builder()
                                                               .connectionProvider(transactional::getConnection)
                                                               .serializer(serializer).build());
    }

    Configuration start(Configurer configurer) {
        Configuration config = configurer.buildConfiguration();
        started.add(config);
        config.start();
        return config;
    }

    static void publish(Configuration config, String orderId, long seq) {
        config.eventStore().publish(new GenericDomainEventMessage<>("Order", orderId, seq, new OrderPlaced(orderId, seq)));
    }
}
