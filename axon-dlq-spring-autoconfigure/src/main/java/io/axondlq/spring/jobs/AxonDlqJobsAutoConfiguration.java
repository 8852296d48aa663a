package io.axondlq.spring.jobs;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.BackgroundJob;
import io.axondlq.core.jobs.JobWorker;
import io.axondlq.core.jobs.Leases;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.jobs.JdbcRetryJobProgress;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.spring.AxonDlqAutoConfiguration;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.DeadLetterSchemaInitializer;
import io.axondlq.spring.GroupSettingsResolver.InvalidDeadLetterPropertyException;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import io.axondlq.spring.properties.AutoRetry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Background work, wired only: the {@link RetryJobs} store, the node's one {@link JobWorker} running its kinds of work
 * ({@link RetryJobRunner} always, {@link AutoRetryScheduler} with {@code axon.dlq.auto-retry.enabled=true}), the
 * {@link Leases} they share, and the {@link RetryJobAudit} port on the {@link AuditLog}. Every transaction runs on the
 * application's {@link PlatformTransactionManager}. Their due times (cooldowns, idempotency windows) are read from the
 * {@link DatabaseClock}, and the automatic-retry schedule is recorded and compared by the database's clock in SQL, as
 * the leases are: one node writes them, another compares them.
 */
@AutoConfiguration(after = AxonDlqAutoConfiguration.class)
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@ConditionalOnBean({DataSource.class, DeadLetterStore.class})
@EnableConfigurationProperties(AxonDlqProperties.class)
public class AxonDlqJobsAutoConfiguration {

    /** The worker's name as a lease owner: one per application context, shared by every kind of work. */
    private final String owner;

    public AxonDlqJobsAutoConfiguration(AxonDlqProperties properties) {
        this.owner = JobWorker.ownerName(properties.getNodeId());
    }

    @Bean
    @ConditionalOnMissingBean
    public Leases axonDlqLeases(DataSource dataSource, ObjectProvider<PlatformTransactionManager> transactions,
                                AxonDlqProperties properties, ObjectProvider<DeadLetterSchemaInitializer> schema) {
        schema.getIfAvailable(); // the tables exist before the first lease
        // The application's transaction manager: a lease write outside any transaction is lost on a pool that does
        // not auto-commit.
        return new JdbcLeases(dataSource, transactions(transactions, dataSource),
                              properties.getJdbc().getTablePrefix());
    }

    @Bean
    @ConditionalOnMissingBean
    public RetryJobAudit axonDlqRetryJobAudit(ObjectProvider<AuditLog> auditLog, DataSource dataSource,
                                              AxonDlqProperties properties) {
        return new io.axondlq.core.jobs.AuditLogRetryJobAudit(auditLog.getIfAvailable(
                () -> new JdbcAuditLog(dataSource, properties.getJdbc().getTablePrefix())));
    }

    @Bean
    @ConditionalOnMissingBean
    // Eager also under spring.main.lazy-initialization: a bad idempotency-key-ttl fails the start, not the first job.
    @Lazy(false)
    public RetryJobs axonDlqRetryJobs(DataSource dataSource, ObjectProvider<PlatformTransactionManager> transactions,
                                      AxonDlqProperties properties, DeadLetterStore store, Leases leases,
                                      RetryJobAudit audit, ObjectProvider<DeadLetterSchemaInitializer> schema) {
        schema.getIfAvailable(); // the tables exist before the first job is created
        Duration ttl = properties.getRetryJobs().getIdempotencyKeyTtl();
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.retry-jobs.idempotency-key-ttl must be positive, was " + ttl, null);
        }
        return new JdbcRetryJobs(dataSource, transactions(transactions, dataSource),
                                 properties.getJdbc().getTablePrefix(), store, leases, audit, ttl,
                                 new DatabaseClock(dataSource));
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DeadLetterRedeliverer.class)
    public RetryJobRunner axonDlqRetryJobRunner(DataSource dataSource,
                                                ObjectProvider<PlatformTransactionManager> transactions,
                                                AxonDlqProperties properties, DeadLetterRedeliverer redeliverer,
                                                Leases leases, RetryJobAudit audit,
                                                ObjectProvider<DeadLetterOperations> operations,
                                                DeadLetterStore store, ObjectProvider<AuditLog> auditLog) {
        RetryJobRunner.Settings settings;
        try {
            settings = new RetryJobRunner.Settings(properties.getClaim().getLease(),
                                                   properties.getRetryJobs().getPollInterval(),
                                                   RetryJobRunner.Settings.DEFAULT.stopTimeout());
        } catch (IllegalArgumentException e) {
            throw new InvalidDeadLetterPropertyException("axon.dlq.retry-jobs.poll-interval / axon.dlq.claim.lease: "
                                                                 + e.getMessage(), e);
        }
        JdbcRetryJobProgress progress = new JdbcRetryJobProgress(dataSource, transactions(transactions, dataSource),
                                                                 properties.getJdbc().getTablePrefix(), leases, audit);
        DeadLetterOperations letters = operations(operations, store, auditLog, dataSource, transactions, properties,
                                                  redeliverer);
        // Through the operations service: every letter a job redelivers is audited in its own transaction, and a
        // processor stopped on this node runs nothing (the job waits for a node where it runs); a sequence in progress
        // ends after its current letter when the worker stops, rather than run on while the context closes.
        return new RetryJobRunner(progress, RetryJobRunner.Redelivery.whereProcessorRuns(letters),
                                  owner, settings, new DatabaseClock(dataSource));
    }

    /**
     * Automatic retry switched on where it cannot run (the application's own event processing module, so no
     * redeliverer): fails the start, as it does for another store, rather than never retrying without a word.
     */
    @Bean
    @Lazy(false) // created, and so failing, also under spring.main.lazy-initialization=true
    @ConditionalOnProperty(prefix = "axon.dlq.auto-retry", name = "enabled", havingValue = "true")
    @ConditionalOnMissingBean({DeadLetterRedeliverer.class, AutoRetryScheduler.class})
    public Object axonDlqAutoRetryWithoutRedeliverer() {
        throw new InvalidDeadLetterPropertyException(
                "axon.dlq.auto-retry.enabled=true needs axon-dlq's event processing module (it redelivers through "
                        + "the processors' own invokers), but the application defines its own EventProcessingModule "
                        + "or EventProcessingConfiguration bean: remove it (or, if it is a "
                        + "DeadLetteringEventProcessingModule, declare the bean with that type), or set "
                        + "axon.dlq.auto-retry.enabled=false", null);
    }

    /**
     * Automatic retry; needs axon-dlq's JDBC store (it keeps the automatic-retry state) and its event processing
     * module (the redeliverer, and which groups run on this node).
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DeadLetterRedeliverer.class)
    @ConditionalOnProperty(prefix = "axon.dlq.auto-retry", name = "enabled", havingValue = "true")
    public AutoRetryScheduler axonDlqAutoRetryScheduler(DataSource dataSource,
                                                        ObjectProvider<PlatformTransactionManager> transactions,
                                                        AxonDlqProperties properties, DeadLetterStore store,
                                                        DeadLetterRedeliverer redeliverer, Leases leases,
                                                        RetryJobAudit audit,
                                                        ObjectProvider<DeadLetteringEventProcessingModule> module,
                                                        ObjectProvider<DeadLetterOperations> operations,
                                                        ObjectProvider<AuditLog> auditLog) {
        if (!(store instanceof JdbcDeadLetterStore)) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.auto-retry.enabled=true needs axon-dlq's JdbcDeadLetterStore in the same database; the "
                            + "dead-letter store is a " + store.getClass().getName(), null);
        }
        AutoRetry autoRetry = properties.getAutoRetry();
        AutoRetryScheduler.Settings settings;
        try {
            Duration pollInterval = autoRetry.getPollInterval();
            settings = new AutoRetryScheduler.Settings(
                    autoRetry.getSchedule() == null ? List.of() : autoRetry.getSchedule(), pollInterval,
                    autoRetry.getBatchSize(), pollInterval == null ? null
                            : AutoRetryScheduler.Settings.leaseFor(pollInterval, properties.getClaim().getLease()));
        } catch (IllegalArgumentException e) {
            throw new InvalidDeadLetterPropertyException("axon.dlq.auto-retry (schedule, poll-interval, batch-size): "
                                                                 + e.getMessage(), e);
        }
        DeadLetteringEventProcessingModule processing = module.getIfAvailable();
        Predicate<String> runsHere = processing == null ? group -> true
                : group -> processing.groups().processingGroups().contains(group);
        DeadLetterOperations letters = operations(operations, store, auditLog, dataSource, transactions, properties,
                                                  redeliverer);
        // Through the operations service: each letter audited in its transaction, the retry's count and audit entry
        // written with the change that ends the redelivery, a processor stopped on this node runs nothing, and a
        // sequence in progress ends after its current letter when the worker stops.
        return new AutoRetryScheduler(store, leases, transactions(transactions, dataSource),
                                      AutoRetryScheduler.Redelivery.whereProcessorRuns(letters),
                                      runsHere, audit, owner, settings, new DatabaseClock(dataSource));
    }

    /** The node's one worker, running every {@link BackgroundJob} bean. */
    @Bean
    @ConditionalOnMissingBean
    public JobWorkerLifecycle axonDlqJobWorker(ObjectProvider<BackgroundJob> jobs) {
        return new JobWorkerLifecycle(new JobWorker(jobs.orderedStream().toList(),
                                                    RetryJobRunner.Settings.DEFAULT.stopTimeout()));
    }

    /**
     * The application's operations service; without a transaction manager bean (so without that service) one of
     * the jobs' own, on the same store, audit log and redeliverer. Redeliveries report to the metrics through the
     * redeliverer either way.
     */
    private static DeadLetterOperations operations(ObjectProvider<DeadLetterOperations> operations,
                                                   DeadLetterStore store, ObjectProvider<AuditLog> auditLog,
                                                   DataSource dataSource,
                                                   ObjectProvider<PlatformTransactionManager> transactions,
                                                   AxonDlqProperties properties, DeadLetterRedeliverer redeliverer) {
        return operations.getIfAvailable(() -> new DeadLetterOperations(
                store, auditLog.getIfAvailable(() -> new JdbcAuditLog(dataSource, properties.getJdbc().getTablePrefix())),
                transactions(transactions, dataSource), null, () -> redeliverer));
    }

    /** The application's transaction manager; a plain one on the data source only when the application has none. */
    private static PlatformTransactionManager transactions(ObjectProvider<PlatformTransactionManager> transactions,
                                                           DataSource dataSource) {
        return transactions.getIfAvailable(() -> new DataSourceTransactionManager(dataSource));
    }
}
