package io.axondlq.spring.jobs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.DeadLetteringEventHandlerInvoker.Isolation;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.jobs.AuditLogRetryJobAudit;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.JobWorker;
import io.axondlq.core.jobs.Leases;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.jobs.JdbcRetryJobProgress;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.spring.DeadLetterSchemaInitializer;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import org.axonframework.config.Configuration;
import org.axonframework.config.Configurer;
import org.axonframework.config.DefaultConfigurer;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.spring.jdbc.SpringDataSourceConnectionProvider;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

import static org.awaitility.Awaitility.await;

/**
 * A real Axon application with axon-dlq on one processing group ({@link #GROUP}, handled by {@link JobTestHandler}
 * in a pooled streaming processor over an in-memory event store, tokens in a {@code JdbcTokenStore}), its JDBC store and redeliverer, the job tables,
 * {@link JdbcRetryJobs} and any number of {@link RetryJobRunner}s standing for nodes. Every start empties the tables.
 */
final class RetryJobFixture implements AutoCloseable {

    static final String GROUP = "retry-jobs";
    static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    static final String AGGREGATE_TYPE = "Thing";

    final DataSource dataSource;
    final JdbcTemplate jdbc;
    final JdbcDeadLetterStore store;
    final JdbcAuditLog audit;
    final RetryJobAudit retryAudit;
    final PlatformTransactionManager transactions;
    final JdbcLeases leases;
    final JdbcRetryJobs jobs;
    final JobTestHandler handler = new JobTestHandler();
    final Configuration axon;
    final DeadLetterRedeliverer redeliverer;
    /** The operations service over the store, the audit log and the redeliverer, as the application has it. */
    final DeadLetterOperations operations;
    /**
     * Retry jobs' redelivery in production: through the operations service, each letter audited, only where the
     * group's processor runs.
     */
    final RetryJobRunner.Redelivery jobRedelivery;
    /** Automatic retry's redelivery in production: through the operations service, with the scheduler's recorder. */
    final AutoRetryScheduler.Redelivery autoRedelivery;
    final RedeliveryLedger ledger = new RedeliveryLedger();
    private final List<Node> runners = new ArrayList<>();

    /** A node: a retry-job runner on its own worker. */
    static final class Node {
        final RetryJobRunner runner;
        final JobWorker worker;
        private final AtomicBoolean alive;

        Node(RetryJobRunner runner, AtomicBoolean alive) {
            this.runner = runner;
            this.worker = new JobWorker(List.of(runner), runner.settings().stopTimeout());
            this.alive = alive;
        }

        /**
         * The node dies: it polls no more and renews no lease (a stop alone keeps renewing the lease of the sequence
         * in progress); a thread stuck in a sequence stays stuck until the test lets it go.
         */
        void die() {
            alive.set(false);
            stop();
        }

        /** A dead node's stuck thread comes back to life: it reaches the database again. */
        void revive() {
            alive.set(true);
        }

        String owner() {
            return runner.owner();
        }

        void start() {
            worker.start();
        }

        void stop() {
            worker.stop();
        }

        boolean isRunning() {
            return worker.isRunning();
        }

        boolean awaitTermination(Duration timeout) throws InterruptedException {
            return worker.awaitTermination(timeout);
        }
    }

    private RetryJobFixture(DataSource dataSource) {
        this.dataSource = dataSource;
        this.jdbc = new JdbcTemplate(dataSource);
        SqlDialect dialect = SqlDialect.detect(dataSource);
        SchemaInitializer.initialize(dataSource, dialect, PREFIX);
        SchemaInitializer.initialize(dataSource, dialect, PREFIX, DeadLetterSchemaInitializer.OPERATIONS_SCRIPT);
        SchemaInitializer.initialize(dataSource, dialect, PREFIX, "V7__axon_dlq_retry_due.sql");
        for (String table : List.of("retry_job_sequence", "retry_job", "audit", "auto_retry", "scheduler_lease",
                                    "attempt", "letter", "sequence")) {
            jdbc.update("DELETE FROM " + PREFIX + table);
        }
        this.transactions = new DataSourceTransactionManager(dataSource);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        this.store = JdbcDeadLetterStore.builder()
                                        .dataSource(dataSource)
                                        .transactionManager(transactions)
                                        .eventSerializer(serializer)
                                        .genericSerializer(serializer)
                                        .nodeId("app-node")
                                        .build();
        DeadLetteringEventProcessingModule module =
                DeadLetteringEventProcessingModule.builder()
                                                  .store(store)
                                                  .nodeId("app-node")
                                                  .savepoints(c -> new JdbcSavepoints(dataSource))
                                                  .settings(group -> new GroupSettings(
                                                          ExponentialBackoffRetryPolicy.builder().maxAttempts(1)
                                                                                       .build(),
                                                          Isolation.SAVEPOINT_PER_ATTEMPT, false))
                                                  .build();
        Configurer configurer = DefaultConfigurer.defaultConfiguration(false)
                                                 .configureSerializer(c -> serializer)
                                                 .configureEventSerializer(c -> serializer)
                                                 .configureMessageSerializer(c -> serializer)
                                                 .configureEmbeddedEventStore(
                                                         c -> new OrderedInMemoryEventStorageEngine())
                                                 .configureTransactionManager(
                                                         c -> new SpringTransactionManagerAdapter(transactions));
        configurer.registerModule(module);
        JdbcTokenStore tokenStore = JdbcTokenStore.builder()
                                                  .connectionProvider(new SpringDataSourceConnectionProvider(dataSource))
                                                  .serializer(serializer)
                                                  .build();
        if (jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_name) = "
                                        + "'tokenentry'", Integer.class) == 0) {
            tokenStore.createSchema(dialect == SqlDialect.POSTGRESQL ? PostgresTokenTableFactory.INSTANCE
                                            : GenericTokenTableFactory.INSTANCE);
        }
        jdbc.update("DELETE FROM TokenEntry");
        configurer.eventProcessing()
                  .usingPooledStreamingEventProcessors()
                  .registerTokenStore(c -> tokenStore)
                  .registerEventHandler(c -> handler);
        this.axon = configurer.start();
        this.redeliverer = module.redeliverer();
        this.audit = new JdbcAuditLog(dataSource, PREFIX, Clock.systemUTC());
        this.retryAudit = new AuditLogRetryJobAudit(audit);
        this.operations = new DeadLetterOperations(store, audit, transactions, null, () -> redeliverer);
        this.jobRedelivery = RetryJobRunner.Redelivery.whereProcessorRuns(operations);
        this.autoRedelivery = AutoRetryScheduler.Redelivery.whereProcessorRuns(operations);
        this.leases = new JdbcLeases(dataSource, transactions, PREFIX);
        this.jobs = new JdbcRetryJobs(dataSource, transactions, PREFIX, store, leases, retryAudit,
                                      JdbcRetryJobs.DEFAULT_IDEMPOTENCY_KEY_TTL, Clock.systemUTC());
    }

    static RetryJobFixture start(DataSource dataSource) {
        return new RetryJobFixture(dataSource);
    }

    String key(String thingId) {
        return store.sequenceKey(thingId);
    }

    /**
     * Stores a dead-lettered sequence directly: a failed head ({@code causeType}) and {@code letters - 1} events
     * parked behind it, all enqueued at {@code enqueuedAt}.
     */
    String seed(String thingId, int letters, String causeType, Instant enqueuedAt) {
        return seed(GROUP, thingId, letters, causeType, enqueuedAt);
    }

    String seed(String group, String thingId, int letters, String causeType, Instant enqueuedAt) {
        Instant at = enqueuedAt.truncatedTo(ChronoUnit.MICROS);
        for (int seq = 0; seq < letters; seq++) {
            GenericDomainEventMessage<ThingChanged> event =
                    new GenericDomainEventMessage<>(AGGREGATE_TYPE, thingId, seq, new ThingChanged(thingId, seq));
            boolean head = seq == 0;
            store.enqueue(group, new LetterDraft(thingId, event, head ? causeType : null,
                                                 head ? "seeded failure of " + thingId : null, null, head ? 1 : 0,
                                                 List.of(), null, at, at, !head));
        }
        return key(thingId);
    }

    /** {@code count} sequences {@code prefix0..}, one letter each, enqueued one second apart (oldest first). */
    List<String> seedMany(String prefix, int count) {
        Instant base = Instant.now().minus(Duration.ofHours(1));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            keys.add(seed(prefix + i, 1, IllegalStateException.class.getName(), base.plusSeconds(i)));
        }
        return keys;
    }

    /** Dead-letters a live event: the thing is poisoned, its event published and parked by the real processor. */
    String parkLive(String thingId) {
        handler.poisoned.add(thingId);
        axon.eventBus().publish(new GenericDomainEventMessage<>(AGGREGATE_TYPE, thingId, 0,
                                                                new ThingChanged(thingId, 0)));
        String key = key(thingId);
        await().atMost(Duration.ofSeconds(30)).until(() -> store.contains(GROUP, key));
        return key;
    }

    RetryJobRequest request(int batchSize, Duration cooldown, int maxSequences) {
        return new RetryJobRequest(GROUP, null, null, null, null, batchSize, cooldown, maxSequences);
    }

    RetryJobRunner.Settings settings(Duration lease) {
        return new RetryJobRunner.Settings(lease, Duration.ofMillis(20), Duration.ofSeconds(10));
    }

    /** A started runner on {@code node} whose redeliveries go through the ledger. */
    Node runner(String node) {
        return runner(node, settings(Duration.ofSeconds(10)), (n, key) -> {
        });
    }

    Node runner(String node, RetryJobRunner.Settings settings, RedeliveryLedger.Hook hook) {
        return runner(node, settings, hook, retryAudit);
    }

    /** A started runner on {@code node} that writes its progress' audit entries to {@code audit}. */
    Node runner(String node, RetryJobRunner.Settings settings, RedeliveryLedger.Hook hook, RetryJobAudit audit) {
        return runner(node, settings, jobRedelivery, hook, audit);
    }

    /** A started runner on {@code node} whose redeliveries go through the ledger to {@code redelivery}. */
    Node runnerThrough(String node, RetryJobRunner.Settings settings, RetryJobRunner.Redelivery redelivery) {
        return runner(node, settings, redelivery, (n, key) -> {
        }, retryAudit);
    }

    private Node runner(String node, RetryJobRunner.Settings settings, RetryJobRunner.Redelivery redelivery,
                        RedeliveryLedger.Hook hook, RetryJobAudit audit) {
        AtomicBoolean alive = new AtomicBoolean(true);
        RetryJobRunner runner = new RetryJobRunner(
                new JdbcRetryJobProgress(dataSource, transactions, PREFIX, renewingWhile(alive), audit),
                ledger.wrap(node, redelivery, hook), JobWorker.ownerName(node), settings,
                Clock.systemUTC());
        Node started = new Node(runner, alive);
        runners.add(started);
        started.start();
        return started;
    }

    /** The fixture's leases, whose renewals fail while the node is not {@code alive}. */
    private Leases renewingWhile(AtomicBoolean alive) {
        return new Leases() {
            @Override
            public boolean acquire(String name, String owner, Duration ttl) {
                return leases.acquire(name, owner, ttl);
            }

            @Override
            public boolean renew(String name, String owner, Duration ttl) {
                if (!alive.get()) {
                    throw new IllegalStateException("the node is dead");
                }
                return leases.renew(name, owner, ttl);
            }

            @Override
            public void release(String name, String owner) {
                leases.release(name, owner);
            }

            @Override
            public Optional<String> holder(String name) {
                return leases.holder(name);
            }
        };
    }

    RetryJob job(UUID id) {
        return jobs.find(id).orElseThrow();
    }

    RetryJob awaitState(UUID id, RetryJob.State state) {
        await().atMost(Duration.ofSeconds(60)).until(() -> job(id).state() == state);
        return job(id);
    }

    /** Positions, batch numbers and finish times of a job's processed sequences. */
    record Processed(int position, String sequenceKey, String outcome, Integer batch, Instant finishedAt) {
    }

    List<Processed> processed(UUID jobId) {
        return jdbc.query("SELECT position, sequence_key, outcome, batch_no, finished_at FROM " + PREFIX
                                  + "retry_job_sequence WHERE job_id = ? AND outcome <> 'PENDING' ORDER BY position",
                          (rs, i) -> new Processed(rs.getInt("position"), rs.getString("sequence_key"),
                                                   rs.getString("outcome"), (Integer) rs.getObject("batch_no"),
                                                   rs.getObject("finished_at", java.time.OffsetDateTime.class)
                                                     .toInstant()),
                          jobId);
    }

    List<AuditEntry> auditEntries() {
        List<AuditEntry> all = new ArrayList<>();
        String cursor = null;
        do {
            var page = audit.list(100, cursor);
            all.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor != null);
        return all;
    }

    /**
     * Makes the database refuse new audit entries of {@code action}, as a failing audit insert would; the entries
     * written so far stay valid (entries are stamped by the real clock).
     */
    void refuseAudit(String action) {
        String now = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC)
                                             .format(java.time.format.DateTimeFormatter.ofPattern(
                                                     "yyyy-MM-dd HH:mm:ss.SSSSSSxxx"));
        jdbc.execute("ALTER TABLE " + PREFIX + "audit ADD CONSTRAINT " + PREFIX + "audit_refuses CHECK (action <> '"
                             + action + "' OR occurred_at <= TIMESTAMP WITH TIME ZONE '" + now + "')");
    }

    void acceptAudit() {
        jdbc.execute("ALTER TABLE " + PREFIX + "audit DROP CONSTRAINT IF EXISTS " + PREFIX + "audit_refuses");
    }

    List<AuditEntry> auditEntries(String action) {
        return auditEntries().stream().filter(e -> e.action().equals(action)).toList();
    }

    /**
     * A second pool on the fixture's database with auto-commit off
     * ({@code spring.datasource.hikari.auto-commit=false}): it rolls back whatever a connection left uncommitted when
     * the connection is returned. The caller closes it.
     */
    HikariDataSource manualCommitPool() {
        try {
            HikariConfig config = new HikariConfig();
            dataSource.unwrap(HikariDataSource.class).copyStateTo(config);
            config.setPoolName(config.getPoolName() + "-manual-commit-" + UUID.randomUUID());
            config.setAutoCommit(false);
            config.setMaximumPoolSize(3);
            return new HikariDataSource(config);
        } catch (SQLException e) {
            throw new IllegalStateException("The fixture's data source is not a Hikari pool", e);
        }
    }

    @Override
    public void close() {
        runners.forEach(Node::stop);
        acceptAudit();
        axon.shutdown();
    }
}
