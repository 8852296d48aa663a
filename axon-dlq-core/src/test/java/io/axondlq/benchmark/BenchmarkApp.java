package io.axondlq.benchmark;

import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.benchmark.BenchHandler.Projection;
import io.axondlq.core.retry.RetryPolicy;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.JpaAwareSavepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.config.Configuration;
import org.axonframework.config.Configurer;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.config.EventProcessingConfigurer;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.eventhandling.deadletter.jdbc.GenericDeadLetterTableFactory;
import org.axonframework.eventhandling.deadletter.jdbc.JdbcSequencedDeadLetterQueue;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.serialization.json.JacksonSerializer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.TransactionAwareDataSourceProxy;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;
import org.springframework.orm.jpa.SharedEntityManagerCreator;
import org.springframework.orm.jpa.persistenceunit.PersistenceManagedTypes;
import org.springframework.orm.jpa.vendor.HibernateJpaVendorAdapter;
import org.springframework.transaction.PlatformTransactionManager;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import javax.sql.DataSource;

/**
 * One benchmark "application" over one fresh database: the projection, the token store and the dead-letter queue of
 * the chosen setup share it, and Spring's DataSourceTransactionManager is Axon's transaction manager in all setups.
 * With the JPA projection it is a JpaTransactionManager instead (Hibernate, a shared EntityManager), which binds the
 * JDBC connection of its DataSource, so the token store and both queues join its transaction, and axon-dlq gets
 * {@link JpaAwareSavepoints}.
 */
final class BenchmarkApp implements AutoCloseable {

    static final String PROCESSOR = "bench-processor";
    static final int SEGMENTS = 4;
    static final int BATCH_SIZE = 100;

    enum Setup {
        /** Axon's SimpleEventHandlerInvoker, no dead-letter queue: the physical limit. */
        PLAIN("a: no DLQ"),
        /** Axon 4.13's DeadLetteringEventHandlerInvoker + JdbcSequencedDeadLetterQueue, identifier cache on. */
        AXON("b: Axon built-in"),
        /** axon-dlq, default isolation: one checkpoint savepoint per batch. */
        AXON_DLQ("c: axon-dlq"),
        /** axon-dlq with SAVEPOINT_PER_ATTEMPT isolation: a savepoint around every handler attempt. */
        AXON_DLQ_PER_ATTEMPT("c': axon-dlq savepoint per attempt");

        final String label;

        Setup(String label) {
            this.label = label;
        }

        boolean isAxonDlq() {
            return this == AXON_DLQ || this == AXON_DLQ_PER_ATTEMPT;
        }
    }

    final Setup setup;
    final TestDatabase database;
    final DataSource dataSource;
    final JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
    final PlatformTransactionManager springTransactions;
    /** Only with the JPA projection. */
    final LocalContainerEntityManagerFactoryBean entityManagerFactory;
    final TransactionManager axonTransactions;
    final InMemoryEventStorageEngine events = new InMemoryEventStorageEngine();
    final BenchHandler handler;
    final JdbcDeadLetterStore store;
    JdbcSequencedDeadLetterQueue<EventMessage<?>> axonQueue;
    DeadLetteringEventProcessingModule module;
    Configuration config;
    /** Segments of the processor; the poison-stall scenario uses one, so that a batch is 100 events. */
    int segments = SEGMENTS;
    /** Set by a run over a counting DataSource (see DlqBenchmark#countRoundTrips). */
    DlqBenchmark.RoundTrips roundTrips;
    /** axon-dlq's retry policy (its defaults unless a scenario sets one). */
    RetryPolicy retryPolicy = ExponentialBackoffRetryPolicy.defaults();

    BenchmarkApp(Setup setup, TestDatabase database, DataSource dataSource, Projection projection) {
        this.setup = setup;
        this.database = database;
        this.dataSource = dataSource;
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        jdbc.execute("CREATE TABLE IF NOT EXISTS bench_projection (aggregate_id VARCHAR(64) NOT NULL, "
                             + "seq BIGINT NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS bench_entity (id VARCHAR(100) PRIMARY KEY, "
                             + "aggregate_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL)");
        if (projection == Projection.JPA) {
            this.entityManagerFactory = entityManagerFactory(dataSource);
            this.springTransactions = new JpaTransactionManager(entityManagerFactory.getObject());
            this.handler = new BenchHandler(projection, dataSource,
                                            SharedEntityManagerCreator.createSharedEntityManager(
                                                    entityManagerFactory.getObject()));
        } else {
            this.entityManagerFactory = null;
            this.springTransactions = new DataSourceTransactionManager(dataSource);
            this.handler = new BenchHandler(projection, dataSource, null);
        }
        this.axonTransactions = new SpringTransactionManagerAdapter(springTransactions);
        JdbcTokenStore.builder().connectionProvider(dataSource::getConnection).serializer(serializer).build()
                      .createSchema(database == TestDatabase.POSTGRES ? PostgresTokenTableFactory.INSTANCE
                                            : GenericTokenTableFactory.INSTANCE);
        this.store = JdbcDeadLetterStore.builder()
                                        .dataSource(dataSource)
                                        .transactionManager(springTransactions)
                                        .eventSerializer(serializer)
                                        .genericSerializer(serializer)
                                        .limits(new io.axondlq.core.store.DeadLetterLimits(1_000_000, 1_000_000))
                                        .build();
        if (setup == Setup.AXON) {
            TransactionAwareDataSourceProxy transactional = new TransactionAwareDataSourceProxy(dataSource);
            axonQueue = JdbcSequencedDeadLetterQueue.builder()
                                                    .processingGroup(BenchHandler.GROUP)
                                                    .connectionProvider(transactional::getConnection)
                                                    .transactionManager(axonTransactions)
                                                    .eventSerializer(serializer)
                                                    .genericSerializer(serializer)
                                                    .maxSequences(1_000_000)
                                                    .maxSequenceSize(1_000_000)
                                                    .build();
            createAxonTable();
        }
    }

    /** Hibernate over the given DataSource, managing {@link BenchEntity} only; the table exists already. */
    private static LocalContainerEntityManagerFactoryBean entityManagerFactory(DataSource dataSource) {
        LocalContainerEntityManagerFactoryBean factory = new LocalContainerEntityManagerFactoryBean();
        factory.setDataSource(dataSource);
        factory.setJpaVendorAdapter(new HibernateJpaVendorAdapter());
        factory.setPersistenceUnitName("bench");
        factory.setManagedTypes(PersistenceManagedTypes.of(BenchEntity.class.getName()));
        factory.setJpaPropertyMap(Map.of("hibernate.hbm2ddl.auto", "none"));
        factory.afterPropertiesSet();
        return factory;
    }

    /** Axon's generic DDL uses BLOB, which PostgreSQL lacks (one of its portability problems): use bytea there. */
    private void createAxonTable() {
        GenericDeadLetterTableFactory factory = database == TestDatabase.POSTGRES
                ? new GenericDeadLetterTableFactory() {
            @Override
            protected String serializedDataType() {
                return "BYTEA";
            }
        } : new GenericDeadLetterTableFactory();
        axonQueue.createSchema(factory);
    }

    /** Appends the events straight to the storage engine, before the processor starts. */
    void append(List<? extends EventMessage<?>> batch) {
        events.appendEvents(batch);
    }

    static GenericDomainEventMessage<BenchEvent> event(String aggregateId, long sequence) {
        return new GenericDomainEventMessage<>("Bench", aggregateId, sequence, new BenchEvent(aggregateId, sequence));
    }

    /** Puts a failed letter for each aggregate into the setup's queue. */
    void park(List<String> aggregateIds) {
        for (String id : aggregateIds) {
            GenericDomainEventMessage<BenchEvent> message = event(id, 0);
            RuntimeException cause = new IllegalStateException("seeded failure");
            switch (setup) {
                case AXON -> axonQueue.enqueue(id, new GenericDeadLetter<>(id, message, cause));
                case AXON_DLQ, AXON_DLQ_PER_ATTEMPT -> store.enqueue(BenchHandler.GROUP, LetterDraft.failed(
                        id, message, cause, List.of(io.axondlq.core.store.AttemptRecord.of(
                                1, java.time.Instant.now(), "bench", cause))));
                case PLAIN -> {
                }
            }
        }
    }

    Configuration build() {
        Configurer configurer = DefaultConfigurer.defaultConfiguration(false);
        if (setup.isAxonDlq()) {
            GroupSettings settings = new GroupSettings(
                    retryPolicy,
                    setup == Setup.AXON_DLQ_PER_ATTEMPT ? Isolation.SAVEPOINT_PER_ATTEMPT : Isolation.CHECKPOINT,
                    false);
            module = DeadLetteringEventProcessingModule.builder()
                                                       .store(store)
                                                       .settings(group -> settings)
                                                       .savepoints(c -> entityManagerFactory == null
                                                               ? new JdbcSavepoints(dataSource)
                                                               : new JpaAwareSavepoints(
                                                                       dataSource, entityManagerFactory.getObject()))
                                                       .leaseDuration(Duration.ofSeconds(30))
                                                       .build();
            configurer.registerModule(module);
        }
        configurer.configureSerializer(c -> serializer)
                  .configureEventSerializer(c -> serializer)
                  .configureMessageSerializer(c -> serializer)
                  .configureEmbeddedEventStore(c -> events)
                  .configureTransactionManager(c -> axonTransactions);
        TransactionAwareDataSourceProxy transactional = new TransactionAwareDataSourceProxy(dataSource);
        JdbcTokenStore tokenStore = JdbcTokenStore.builder()
                                                  .connectionProvider(transactional::getConnection)
                                                  .serializer(serializer)
                                                  .build();
        EventProcessingConfigurer processing = configurer.eventProcessing();
        processing.registerTokenStore(PROCESSOR, c -> tokenStore)
                  .assignProcessingGroup(BenchHandler.GROUP, PROCESSOR)
                  .registerEventHandler(c -> handler)
                  .registerPooledStreamingEventProcessor(
                          PROCESSOR, Configuration::eventStore,
                          (c, b) -> b.initialSegmentCount(segments).batchSize(BATCH_SIZE).tokenClaimInterval(50));
        if (setup == Setup.AXON) {
            processing.registerDeadLetterQueue(BenchHandler.GROUP, c -> axonQueue)
                      .registerDeadLetteringEventHandlerInvokerConfiguration(
                              BenchHandler.GROUP, (c, b) -> b.enableSequenceIdentifierCache());
        }
        config = configurer.buildConfiguration();
        return config;
    }

    StreamingEventProcessor processor() {
        return config.eventProcessingConfiguration().eventProcessor(PROCESSOR, StreamingEventProcessor.class)
                     .orElseThrow();
    }

    /** Whether every segment's token has passed the last appended event. */
    boolean caughtUp() {
        long head = events.createHeadToken().position().orElse(-1);
        Map<Integer, EventTrackerStatus> status = processor().processingStatus();
        if (status.size() < segments) {
            return false;
        }
        for (EventTrackerStatus segment : status.values()) {
            OptionalLong position = segment.getCurrentPosition();
            if (segment.isErrorState() || position.isEmpty() || position.getAsLong() < head) {
                return false;
            }
        }
        return true;
    }

    long dlqSize() {
        return switch (setup) {
            case PLAIN -> 0;
            case AXON -> axonQueue.size();
            case AXON_DLQ, AXON_DLQ_PER_ATTEMPT -> store.size(BenchHandler.GROUP);
        };
    }

    int projectionRows() {
        Integer rows = new JdbcTemplate(dataSource).queryForObject(
                "SELECT (SELECT COUNT(*) FROM bench_projection) + (SELECT COUNT(*) FROM bench_entity)", Integer.class);
        return rows == null ? 0 : rows;
    }

    @Override
    public void close() {
        if (config != null) {
            config.shutdown();
            config = null;
        }
        if (entityManagerFactory != null) {
            entityManagerFactory.destroy();
        }
    }
}
