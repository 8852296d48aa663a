package io.axondlq.core;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.Savepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import io.axondlq.testsupport.ProcessorThreads;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.config.Configuration;
import org.axonframework.config.Configurer;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.TrackingEventProcessorConfiguration;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One "application": Axon over one database holding the projection, the token store and the dead-letter queue, with
 * Spring's {@link DataSourceTransactionManager} as Axon's transaction manager. The event storage engine, the store and
 * the handler survive {@link #restart()}; each {@link #start(Options)} builds a fresh Axon configuration.
 */
final class InvokerFixture implements AutoCloseable {

    static final String GROUP = "projection";
    static final String PROCESSOR = "projector";
    static final String AGGREGATE_TYPE = "Thing";

    /** How a configuration is built. */
    record Options(ProcessorType type, int segments, int batchSize, GroupSettings settings,
                   Function<DataSource, Savepoints> savepoints, DeadLetterObserver observer,
                   Consumer<EventProcessingConfigurer> customizer, boolean transactional, int threads) {

        static Options of(ProcessorType type) {
            return new Options(type, 2, 5, InvokerFixture.settings(fastRetry(3).build()), JdbcSavepoints::new,
                               DeadLetterObserver.NOOP, ep -> {
            }, true, 0);
        }

        /** Tracking processor threads; by default one per initial segment. More threads can claim split segments. */
        Options threads(int threads) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer, transactional,
                               threads);
        }

        Options segments(int segments) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer,
                               transactional, threads);
        }

        Options batchSize(int batchSize) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer,
                               transactional, threads);
        }

        Options settings(GroupSettings settings) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer,
                               transactional, threads);
        }

        Options savepoints(Function<DataSource, Savepoints> savepoints) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer,
                               transactional, threads);
        }

        Options observer(DeadLetterObserver observer) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer,
                               transactional, threads);
        }

        Options customizer(Consumer<EventProcessingConfigurer> customizer) {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer,
                               transactional, threads);
        }

        /** Without a transaction manager, Axon uses its {@code NoTransactionManager}. */
        Options withoutTransactionManager() {
            return new Options(type, segments, batchSize, settings, savepoints, observer, customizer, false,
                               threads);
        }
    }

    /** Retries quickly, so a poison event costs a few milliseconds. */
    static ExponentialBackoffRetryPolicy.Builder fastRetry(int maxAttempts) {
        return ExponentialBackoffRetryPolicy.builder()
                                            .maxAttempts(maxAttempts)
                                            .initialBackoff(Duration.ofMillis(1))
                                            .maxBackoff(Duration.ofMillis(5));
    }

    /** The default isolation (checkpoint); letters are kept on reset so tests can look at them. */
    static GroupSettings settings(ExponentialBackoffRetryPolicy policy) {
        return new GroupSettings(policy, DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT, false);
    }

    static GroupSettings perAttempt(ExponentialBackoffRetryPolicy policy) {
        return new GroupSettings(policy, DeadLetteringEventHandlerInvoker.Isolation.SAVEPOINT_PER_ATTEMPT, false);
    }

    final TestDatabase database;
    final DataSource dataSource;
    final DataSourceTransactionManager springTransactions;
    final JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
    /** Axon's general serializer, which the store also uses for letters' tracking tokens; Jackson by default. */
    final Serializer generalSerializer;
    /** The store the application (the module) uses. */
    final JdbcDeadLetterStore appStore;
    /** For the test's own reads, on a data source the application does not use, so they are never counted. */
    final JdbcDeadLetterStore store;
    final JdbcTemplate jdbc;
    final ClaimCountingTokenStore tokenStore;
    final Duration claimTimeout;
    final InMemoryEventStorageEngine storageEngine;
    final ProjectionHandler handler;
    /** Identifies this application ("node") as a token owner and dead-letter store node; null: the defaults. */
    final String nodeId;
    private final Map<String, AtomicLong> nextSequence;
    /** Redelivery lease of the module; set before {@link #start(Options)}. */
    Duration leaseDuration = Duration.ofSeconds(30);
    /** The groups axon-dlq runs (the module's enabledGroups); set before {@link #start(Options)}. */
    java.util.function.Predicate<String> enabledGroups = group -> true;

    Options options;
    Configuration config;
    DeadLetteringEventProcessingModule module;

    /**
     * @param dataSource        every database access of the application goes through it (projection, token store,
     *                          store, savepoints, transactions), so a counting wrapper sees all of them
     * @param inspectDataSource the same database, for the test's assertions
     */
    InvokerFixture(TestDatabase database, DataSource dataSource, DataSource inspectDataSource) {
        this(database, dataSource, inspectDataSource, null, Duration.ofSeconds(10),
             new OrderedInMemoryEventStorageEngine(), null, new ConcurrentHashMap<>(), null);
    }

    /** An application whose general serializer (Axon's, and the store's for tracking tokens) is {@code general}. */
    InvokerFixture(TestDatabase database, DataSource dataSource, DataSource inspectDataSource, Serializer general) {
        this(database, dataSource, inspectDataSource, null, Duration.ofSeconds(10),
             new OrderedInMemoryEventStorageEngine(), null, new ConcurrentHashMap<>(), general);
    }

    /**
     * A node of its own: its token store claims as {@code nodeId} and gives a claim up after {@code claimTimeout}.
     */
    InvokerFixture(TestDatabase database, DataSource dataSource, DataSource inspectDataSource, String nodeId,
                   Duration claimTimeout) {
        this(database, dataSource, inspectDataSource, nodeId, claimTimeout, new OrderedInMemoryEventStorageEngine(),
             null, new ConcurrentHashMap<>(), null);
    }

    /**
     * One "node" of several on one database: give each its own node id and data source, and all of them the same
     * event storage, so that they process one event stream (each with its own handler).
     */
    InvokerFixture(TestDatabase database, DataSource dataSource, DataSource inspectDataSource, String nodeId,
                   InMemoryEventStorageEngine storageEngine) {
        this(database, dataSource, inspectDataSource, nodeId, Duration.ofSeconds(10), storageEngine, null,
             new ConcurrentHashMap<>(), null);
    }

    private InvokerFixture(TestDatabase database, DataSource dataSource, DataSource inspectDataSource,
                           String nodeId, Duration claimTimeout, InMemoryEventStorageEngine storageEngine,
                           ProjectionHandler handler, Map<String, AtomicLong> nextSequence,
                           Serializer general) {
        this.database = database;
        this.generalSerializer = general != null ? general : serializer;
        this.dataSource = dataSource;
        this.nodeId = nodeId;
        this.claimTimeout = claimTimeout;
        this.storageEngine = storageEngine;
        this.nextSequence = nextSequence;
        this.springTransactions = new DataSourceTransactionManager(dataSource);
        JdbcDeadLetterStore.Builder appStoreBuilder = JdbcDeadLetterStore.builder()
                                                                         .dataSource(dataSource)
                                                                         .transactionManager(springTransactions)
                                                                         .eventSerializer(serializer)
                                                                         .genericSerializer(generalSerializer);
        this.appStore = (nodeId == null ? appStoreBuilder : appStoreBuilder.nodeId(nodeId)).build();
        this.jdbc = new JdbcTemplate(inspectDataSource);
        this.store = JdbcDeadLetterStore.builder()
                                        .dataSource(inspectDataSource)
                                        .eventSerializer(serializer)
                                        .genericSerializer(generalSerializer)
                                        .build();
        // Axon's JDBC token store takes part in the Spring transaction through the proxy's bound connection.
        TransactionAwareDataSourceProxy transactional = new TransactionAwareDataSourceProxy(dataSource);
        JdbcTokenStore.Builder tokenStoreBuilder = JdbcTokenStore.builder()
                                                                 .connectionProvider(transactional::getConnection)
                                                                 .serializer(serializer)
                                                                 .claimTimeout(claimTimeout);
        this.tokenStore = new ClaimCountingTokenStore(nodeId == null ? tokenStoreBuilder : tokenStoreBuilder.nodeId(nodeId));
        this.handler = handler != null ? handler : new ProjectionHandler(dataSource);
    }

    /**
     * A second application ("node") on the same database: same tables, same event store (one storage engine), same
     * projection handler (so faults and invocation counts span both nodes) and the same event numbering. Its token
     * store claims as {@code nodeId}, so segments are claimed by one node at a time. It uses this node's data source
     * (the shared handler writes through it, so its writes join whichever node's transaction runs on the thread).
     */
    InvokerFixture otherNode(String nodeId) {
        return new InvokerFixture(database, dataSource, jdbc.getDataSource(), nodeId, claimTimeout, storageEngine,
                                  handler, nextSequence, generalSerializer);
    }

    /** Creates the tables if needed and empties them: the database is shared by the test class. */
    static void prepareDatabase(TestDatabase database, DataSource dataSource) {
        // The tables are shared with the previous test: none of its processor threads (a work package still trying to
        // claim, a tracking worker launched during shutdown) may still write to them or hold their claims.
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        jdbc.execute("CREATE TABLE IF NOT EXISTS projection (ord BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                             + "aggregate_id VARCHAR(100) NOT NULL, seq BIGINT NOT NULL, redelivered BOOLEAN NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS unique_guard (k VARCHAR(100) PRIMARY KEY)");
        JdbcTokenStore schemaCreator = JdbcTokenStore.builder()
                                                     .connectionProvider(dataSource::getConnection)
                                                     .serializer(JacksonSerializer.defaultSerializer())
                                                     .build();
        schemaCreator.createSchema(database == TestDatabase.POSTGRES
                                           ? PostgresTokenTableFactory.INSTANCE : GenericTokenTableFactory.INSTANCE);
        for (String table : List.of("projection", "unique_guard", "TokenEntry", "axon_dlq_attempt",
                                    "axon_dlq_letter", "axon_dlq_sequence")) {
            jdbc.execute("DELETE FROM " + table);
        }
    }

    // --- lifecycle ----------------------------------------------------------------------------------------------

    InvokerFixture start(Options options) {
        Configuration built = build(options);
        built.start();
        if (nodeId == null && options.type() != ProcessorType.SUBSCRIBING) {
            awaitInitialClaims(options);
        }
        return this;
    }

    /**
     * A single node's processor starts asynchronously: its tokens are initialized and its segments claimed some time
     * after {@code start()}. Tests publish right after starting; waiting for the claims keeps them from racing the
     * start (initial tokens taken after the publication, segments claimed one by one). Bounded and not asserted: a
     * test that starts a processor whose segments cannot all be claimed still proceeds.
     */
    private void awaitInitialClaims(Options options) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (processor().processingStatus().size() >= options.segments()) {
                    return;
                }
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException notYet) {
                return;
            }
        }
    }

    /** Builds the configuration without starting it (kept, so {@link #close()} shuts it down). */
    Configuration build(Options options) {
        this.options = options;
        DeadLetteringEventProcessingModule.Builder moduleBuilder =
                DeadLetteringEventProcessingModule.builder()
                                                  .store(appStore)
                                                  .savepoints(c -> options.savepoints().apply(dataSource))
                                                  .settings(group -> options.settings())
                                                  .observer(c -> options.observer())
                                                  .leaseDuration(leaseDuration)
                                                  .enabledGroups(enabledGroups);
        // The node's one name: its store's leases and its invokers' attempt history agree.
        this.module = (nodeId == null ? moduleBuilder : moduleBuilder.nodeId(nodeId)).build();
        Configurer configurer = DefaultConfigurer.defaultConfiguration(false);
        configurer.registerModule(module);
        configurer.configureSerializer(c -> generalSerializer)
                  .configureEventSerializer(c -> serializer)
                  .configureMessageSerializer(c -> serializer)
                  .configureEmbeddedEventStore(c -> storageEngine);
        if (options.transactional()) {
            configurer.configureTransactionManager(c -> new SpringTransactionManagerAdapter(springTransactions));
        }
        EventProcessingConfigurer eventProcessing = configurer.eventProcessing();
        eventProcessing.registerTokenStore(PROCESSOR, c -> tokenStore)
                       .assignProcessingGroup(GROUP, PROCESSOR)
                       .registerEventHandler(c -> handler);
        switch (options.type()) {
            case POOLED -> eventProcessing.registerPooledStreamingEventProcessor(
                    PROCESSOR, Configuration::eventStore,
                    (c, builder) -> builder.initialSegmentCount(options.segments())
                                           .batchSize(options.batchSize())
                                           .tokenClaimInterval(100));
            case TRACKING -> eventProcessing.registerTrackingEventProcessor(
                    PROCESSOR, Configuration::eventStore,
                    c -> TrackingEventProcessorConfiguration.forParallelProcessing(
                            options.threads() > 0 ? options.threads() : options.segments())
                                                            .andInitialSegmentsCount(options.segments())
                                                            .andBatchSize(options.batchSize())
                                                            .andTokenClaimInterval(100, TimeUnit.MILLISECONDS)
                                                            .andEventAvailabilityTimeout(100, TimeUnit.MILLISECONDS));
            case SUBSCRIBING -> eventProcessing.registerSubscribingEventProcessor(PROCESSOR);
            case CUSTOM -> {
            }
        }
        options.customizer().accept(eventProcessing);
        this.config = configurer.buildConfiguration();
        return config;
    }

    /** Shuts the running configuration down and starts a new one with the same options on the same database. */
    InvokerFixture restart() {
        shutdown();
        return start(options);
    }

    void shutdown() {
        if (config != null) {
            Configuration running = config;
            config = null;
            running.shutdown();
        }
    }

    @Override
    public void close() {
        shutdown();
    }

    // --- events -------------------------------------------------------------------------------------------------

    /** The next event of the aggregate, numbered from 0 in publication order. */
    EventMessage<?> next(String aggregateId) {
        return next(aggregateId, Map.of());
    }

    /** The next event of the aggregate, with meta-data. */
    EventMessage<?> next(String aggregateId, Map<String, ?> metaData) {
        long seq = nextSequence.computeIfAbsent(aggregateId, k -> new AtomicLong()).getAndIncrement();
        return new GenericDomainEventMessage<>(AGGREGATE_TYPE, aggregateId, seq, new ThingHappened(aggregateId, seq),
                                               metaData);
    }

    /** Publishes {@code perAggregate} rounds of one event per aggregate, interleaved, in one call. */
    void publishRounds(int perAggregate, String... aggregates) {
        List<EventMessage<?>> events = new ArrayList<>();
        for (int round = 0; round < perAggregate; round++) {
            for (String aggregate : aggregates) {
                events.add(next(aggregate));
            }
        }
        publish(events);
    }

    /**
     * Publishes {@code events} so that the processor takes them in one batch: it is held in the batch of an event
     * W#0 published first until they are all stored, and its next batch takes everything there is.
     */
    void publishAsOneBatch(List<EventMessage<?>> events) {
        CountDownLatch gate = new CountDownLatch(1);
        handler.hook = (event, redelivery) -> {
            if (event.key().equals("W#0")) {
                gate.await(30, TimeUnit.SECONDS);
            }
        };
        publish(List.of(next("W")));
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
               .until(() -> handler.invocations("W#0") > 0);
        publish(events);
        gate.countDown();
    }

    void publish(List<EventMessage<?>> events) {
        config.eventStore().publish(events);
    }

    /**
     * Parks {@code letters} events of each aggregate (its handler poisoned until they are letters), then heals the
     * handler.
     *
     * @return the aggregates' sequence keys, in order
     */
    List<String> park(int letters, String... aggregates) {
        for (String aggregate : aggregates) {
            handler.faults.poisoned.add(aggregate);
        }
        publishRounds(letters, aggregates);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String aggregate : aggregates) {
                assertThat(sequenceSize(aggregate)).isEqualTo(letters);
            }
        });
        handler.faults.clear();
        return List.of(aggregates).stream().map(this::key).toList();
    }

    long published(String aggregateId) {
        AtomicLong next = nextSequence.get(aggregateId);
        return next == null ? 0 : next.get();
    }

    // --- reading the outcome ------------------------------------------------------------------------------------

    /** Sequence numbers of the aggregate's projection rows, in insertion order. */
    List<Long> projected(String aggregateId) {
        return jdbc.queryForList("SELECT seq FROM projection WHERE aggregate_id = ? ORDER BY ord", Long.class,
                                 aggregateId);
    }

    List<Boolean> redeliveredFlags(String aggregateId) {
        return jdbc.queryForList("SELECT redelivered FROM projection WHERE aggregate_id = ? ORDER BY ord",
                                 Boolean.class, aggregateId);
    }

    int projectionRows() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM projection", Integer.class);
    }

    String key(String aggregateId) {
        return store.sequenceKey(aggregateId);
    }

    long sequenceSize(String aggregateId) {
        return store.sequenceSize(GROUP, key(aggregateId));
    }

    List<StoredLetter> letters(String aggregateId) {
        return store.sequenceLetters(GROUP, key(aggregateId), -1, 10_000);
    }

    DeadLetterRedeliverer redeliverer() {
        return module.redeliverer();
    }

    StreamingEventProcessor processor() {
        return config.eventProcessingConfiguration()
                     .eventProcessor(PROCESSOR, StreamingEventProcessor.class)
                     .orElseThrow();
    }

    /** Position of the last published event. */
    long headPosition() {
        TrackingToken head = config.eventStore().createHeadToken();
        return head == null ? -1 : head.position().orElse(-1);
    }

    /** Whether every segment's token is at or past the last published event. */
    boolean tokensAtHead() {
        return tokensAtHead(options.segments());
    }

    /** Whether this node processes exactly {@code segments} segments, each at or past the last published event. */
    boolean tokensAtHead(int segments) {
        long head = headPosition();
        Map<Integer, EventTrackerStatus> status = processor().processingStatus();
        if (status.size() != segments) {
            return false;
        }
        for (EventTrackerStatus segment : status.values()) {
            OptionalLong position = segment.getCurrentPosition();
            if (position.isEmpty() || position.getAsLong() < head) {
                return false;
            }
        }
        return true;
    }
}
