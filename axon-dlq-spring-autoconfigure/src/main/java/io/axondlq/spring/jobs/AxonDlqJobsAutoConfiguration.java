package io.axondlq.spring.jobs;

import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.spring.AxonDlqAutoConfiguration;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.audit.AuditLog;
import io.axondlq.spring.audit.JdbcAuditLog;
import io.axondlq.spring.schema.DeadLetterSchemaInitializer;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * Bulk retry jobs: {@link RetryJobs} (stored in the database), the {@link RetryJobRunner} that runs them on one node
 * at a time, and, with {@code axon.dlq.auto-retry.enabled=true}, the {@link AutoRetryScheduler}.
 * <p>
 * The runner's lease is {@code axon.dlq.claim.lease}; it polls every {@code axon.dlq.retry-jobs.poll-interval}
 * (default 1s). Automatic retry jobs redeliver up to {@code axon.dlq.auto-retry.max-sequences} sequences per group,
 * {@value #AUTO_RETRY_BATCH_SIZE} per batch, {@code 1s} apart.
 */
@AutoConfiguration(after = AxonDlqAutoConfiguration.class)
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@ConditionalOnBean({DataSource.class, DeadLetterStore.class})
@EnableConfigurationProperties(AxonDlqProperties.class)
public class AxonDlqJobsAutoConfiguration {

    static final String POLL_INTERVAL_PROPERTY = "axon.dlq.retry-jobs.poll-interval";
    static final int AUTO_RETRY_BATCH_SIZE = 10;
    static final Duration AUTO_RETRY_COOLDOWN = Duration.ofSeconds(1);

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
                                                DeadLetterStore store, DeadLetterRedeliverer redeliverer,
                                                ObjectProvider<AuditLog> auditLog, Environment environment) {
        String prefix = properties.getJdbc().getTablePrefix();
        Duration pollInterval = Binder.get(environment).bind(POLL_INTERVAL_PROPERTY, Duration.class)
                                      .orElse(Duration.ofSeconds(1));
        RetryJobRunner.Settings settings = new RetryJobRunner.Settings(properties.getClaim().getLease(), pollInterval,
                                                                       RetryJobRunner.Settings.DEFAULT.stopTimeout());
        return new RetryJobRunner(dataSource, prefix, audit(auditLog, dataSource, prefix), redeliverer::redeliver,
                                  nodeId(store), settings, Clock.systemUTC());
    }

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnProperty(prefix = "axon.dlq.auto-retry", name = "enabled", havingValue = "true")
    public AutoRetryScheduler axonDlqAutoRetryScheduler(RetryJobs jobs, DeadLetterStore store,
                                                        AxonDlqProperties properties) {
        AxonDlqProperties.AutoRetry autoRetry = properties.getAutoRetry();
        AutoRetryScheduler.Settings settings;
        try {
            settings = new AutoRetryScheduler.Settings(autoRetry.getMaxSequences(),
                                                       Math.min(AUTO_RETRY_BATCH_SIZE,
                                                                Math.max(1, autoRetry.getMaxSequences())),
                                                       AUTO_RETRY_COOLDOWN);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("axon.dlq.auto-retry.max-sequences: " + e.getMessage(), e);
        }
        return new AutoRetryScheduler(jobs, store, AutoRetryScheduler.parseSchedule(autoRetry.getSchedule()),
                                      settings, Clock.systemDefaultZone());
    }

    private static AuditLog audit(ObjectProvider<AuditLog> auditLog, DataSource dataSource, String prefix) {
        return auditLog.getIfAvailable(() -> new JdbcAuditLog(dataSource, prefix, Clock.systemUTC()));
    }

    private static String nodeId(DeadLetterStore store) {
        if (store instanceof JdbcDeadLetterStore jdbc) {
            return jdbc.nodeId();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + ":" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
