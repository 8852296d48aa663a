package io.axondlq.spring.jobs;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.spring.AxonDlqAutoConfiguration;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.DeadLetterSchemaInitializer;
import io.axondlq.spring.GroupSettingsResolver.InvalidDeadLetterPropertyException;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import javax.sql.DataSource;

/**
 * Bulk retry jobs: {@link RetryJobs} (stored in the database) and the {@link RetryJobRunner} that runs them on one node
 * at a time, polling every {@code axon.dlq.retry-jobs.poll-interval}; and, with {@code axon.dlq.auto-retry.enabled=true},
 * the {@link AutoRetryScheduler}.
 */
@AutoConfiguration(after = AxonDlqAutoConfiguration.class)
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@ConditionalOnBean({DataSource.class, DeadLetterStore.class})
@EnableConfigurationProperties(AxonDlqProperties.class)
public class AxonDlqJobsAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public RetryJobs axonDlqRetryJobs(DataSource dataSource, AxonDlqProperties properties, DeadLetterStore store,
                                      ObjectProvider<AuditLog> auditLog,
                                      ObjectProvider<DeadLetterSchemaInitializer> schema) {
        schema.getIfAvailable(); // the tables exist before the first job is created
        String prefix = properties.getJdbc().getTablePrefix();
        return new JdbcRetryJobs(dataSource, prefix, store, audit(auditLog, dataSource, prefix), Clock.systemUTC());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DeadLetterRedeliverer.class)
    public RetryJobRunner axonDlqRetryJobRunner(DataSource dataSource, AxonDlqProperties properties,
                                                DeadLetterRedeliverer redeliverer,
                                                ObjectProvider<AuditLog> auditLog) {
        String prefix = properties.getJdbc().getTablePrefix();
        RetryJobRunner.Settings settings;
        try {
            settings = new RetryJobRunner.Settings(properties.getClaim().getLease(),
                                                   properties.getRetryJobs().getPollInterval(),
                                                   RetryJobRunner.Settings.DEFAULT.stopTimeout());
        } catch (IllegalArgumentException e) {
            throw new InvalidDeadLetterPropertyException("axon.dlq.retry-jobs.poll-interval / axon.dlq.claim.lease: "
                                                                 + e.getMessage(), e);
        }
        return new RetryJobRunner(dataSource, prefix, audit(auditLog, dataSource, prefix), redeliverer::redeliver,
                                  properties.getNodeId(), settings, Clock.systemUTC());
    }

    /**
     * Automatic retry; needs axon-dlq's JDBC store (its due-sequence query reads the store's tables) and its event
     * processing module (the redeliverer, and which groups run on this node).
     */
    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnBean(DeadLetterRedeliverer.class)
    @ConditionalOnProperty(prefix = "axon.dlq.auto-retry", name = "enabled", havingValue = "true")
    public AutoRetryScheduler axonDlqAutoRetryScheduler(DataSource dataSource, AxonDlqProperties properties,
                                                        DeadLetterStore store, DeadLetterRedeliverer redeliverer,
                                                        ObjectProvider<DeadLetteringEventProcessingModule> module,
                                                        ObjectProvider<AuditLog> auditLog,
                                                        ObjectProvider<DeadLetterSchemaInitializer> schema) {
        if (!(store instanceof JdbcDeadLetterStore)) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.auto-retry.enabled=true needs axon-dlq's JdbcDeadLetterStore in the same database; the "
                            + "dead-letter store is a " + store.getClass().getName(), null);
        }
        schema.getIfAvailable();
        AxonDlqProperties.AutoRetry autoRetry = properties.getAutoRetry();
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
        String prefix = properties.getJdbc().getTablePrefix();
        DeadLetteringEventProcessingModule processing = module.getIfAvailable();
        Predicate<String> runsHere = processing == null ? group -> true
                : group -> processing.groups().processingGroups().contains(group);
        return new AutoRetryScheduler(dataSource, prefix, redeliverer::redeliver, runsHere,
                                      audit(auditLog, dataSource, prefix), properties.getNodeId(), settings,
                                      Clock.systemUTC());
    }

    private static AuditLog audit(ObjectProvider<AuditLog> auditLog, DataSource dataSource, String prefix) {
        return auditLog.getIfAvailable(() -> new JdbcAuditLog(dataSource, prefix, Clock.systemUTC()));
    }
}
