package io.axondlq.spring.jobs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.Leases;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.core.redelivery.DeadLetterGroups;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.Page;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.spring.DeadLetterSchemaInitializer;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Which job beans {@link AxonDlqJobsAutoConfiguration} contributes, and when it backs off. */
class AxonDlqJobsAutoConfigurationTest {

    private static FreshDatabase database;

    private final ApplicationContextRunner runner =
            new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AxonDlqJobsAutoConfiguration.class))
                                          .withUserConfiguration(StoreConfiguration.class)
                                          .withPropertyValues("axon.dlq.node-id=node-a");

    @BeforeAll
    static void createDatabase() {
        database = TestDatabases.fresh(TestDatabase.H2);
        SchemaInitializer.initialize(database.dataSource(), SqlDialect.H2, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        SchemaInitializer.initialize(database.dataSource(), SqlDialect.H2, SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     DeadLetterSchemaInitializer.OPERATIONS_SCRIPT);
    }

    @AfterAll
    static void dropDatabase() {
        database.close();
    }

    @Configuration(proxyBeanMethods = false)
    static class StoreConfiguration {

        /** Not closed with the context: the database outlives every context of this class. */
        @Bean(destroyMethod = "")
        DataSource dataSource() {
            return database.dataSource();
        }

        @Bean
        JdbcDeadLetterStore store(DataSource dataSource) {
            JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
            return JdbcDeadLetterStore.builder().dataSource(dataSource).eventSerializer(serializer)
                                      .genericSerializer(serializer).nodeId("node-a").build();
        }
    }

    /** The store on a pool of its own that does not auto-commit, closed with the context. */
    @Configuration(proxyBeanMethods = false)
    static class ManualCommitConfiguration extends StoreConfiguration {

        @Override
        @Bean
        DataSource dataSource() {
            HikariConfig config = new HikariConfig();
            database.dataSource().copyStateTo(config);
            config.setPoolName("manual-commit-" + UUID.randomUUID());
            config.setAutoCommit(false);
            config.setMaximumPoolSize(3);
            return new HikariDataSource(config);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class RedelivererConfiguration {

        @Bean
        DeadLetterRedeliverer redeliverer(DeadLetterStore store) {
            return new DeadLetterRedeliverer(store, new DeadLetterGroups(), Duration.ofSeconds(30),
                                             DeadLetterObserver.NOOP);
        }
    }

    @Test
    void providesJobsAndARunnerButNoAutomaticRetryByDefault() {
        runner.withUserConfiguration(RedelivererConfiguration.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(RetryJobs.class);
            assertThat(context.getBean(RetryJobs.class)).isInstanceOf(JdbcRetryJobs.class);
            assertThat(context).hasSingleBean(RetryJobRunner.class);
            assertThat(context.getBean(JobWorkerLifecycle.class).isRunning()).isTrue();
            assertThat(context.getBean(JobWorkerLifecycle.class).worker().jobs())
                    .containsExactly(context.getBean(RetryJobRunner.class));
            assertThat(context.getBean(RetryJobRunner.class).owner()).startsWith("node-a/");
            assertThat(context).doesNotHaveBean(AutoRetryScheduler.class);
        });
    }

    /**
     * {@code spring.datasource.hikari.auto-commit=false}: the leases the jobs share write in transactions of the
     * application's transaction manager (here the plain one on the data source: the application has none), or the
     * pool rolls every lease back and each node believes it holds it.
     */
    @Test
    void theLeasesCommitOnAPoolThatDoesNotAutoCommit() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(AxonDlqJobsAutoConfiguration.class))
                                      .withUserConfiguration(ManualCommitConfiguration.class)
                                      .run(context -> {
                                          assertThat(context).hasNotFailed();
                                          String name = "test:" + UUID.randomUUID();
                                          assertThat(context.getBean(Leases.class)
                                                            .acquire(name, "node-a", Duration.ofMinutes(1))).isTrue();
                                          JdbcLeases elsewhere = new JdbcLeases(
                                                  database.dataSource(),
                                                  new DataSourceTransactionManager(database.dataSource()),
                                                  SchemaInitializer.DEFAULT_TABLE_PREFIX);
                                          assertThat(elsewhere.holder(name)).as("committed: seen on another pool")
                                                                            .contains("node-a");
                                      });
    }

    @Test
    void automaticRetryIsOnlyThereWhenEnabled() {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.auto-retry.enabled=true", "axon.dlq.auto-retry.schedule=10s,1m,1h",
                                  "axon.dlq.auto-retry.poll-interval=5s", "axon.dlq.auto-retry.batch-size=7",
                                  "axon.dlq.retry-jobs.poll-interval=250ms")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  AutoRetryScheduler scheduler = context.getBean(AutoRetryScheduler.class);
                  assertThat(context.getBean(JobWorkerLifecycle.class).isRunning()).isTrue();
                  assertThat(context.getBean(JobWorkerLifecycle.class).worker().jobs())
                          .as("one worker runs both kinds").hasSize(2).contains(scheduler);
                  assertThat(scheduler.owner()).startsWith("node-a/");
                  assertThat(scheduler.settings().schedule())
                          .containsExactly(Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofHours(1));
                  assertThat(scheduler.settings().pollInterval()).isEqualTo(Duration.ofSeconds(5));
                  assertThat(scheduler.settings().batchSize()).isEqualTo(7);
                  // three polls, but at least the claim lease (30s)
                  assertThat(scheduler.settings().lease()).isEqualTo(Duration.ofSeconds(30));
              });
    }

    /** Due times are written by one node and compared by another: every kind of work reads the database's clock. */
    @Test
    void dueTimesAreReadFromTheDatabaseClock() {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.auto-retry.enabled=true")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(context.getBean(AutoRetryScheduler.class)).extracting("clock")
                                                                       .isInstanceOf(DatabaseClock.class);
                  assertThat(context.getBean(RetryJobRunner.class)).extracting("clock")
                                                                   .isInstanceOf(DatabaseClock.class);
                  assertThat(context.getBean(RetryJobs.class)).extracting("clock").isInstanceOf(DatabaseClock.class);
              });
    }

    @Test
    void automaticRetryDefaults() {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.auto-retry.enabled=true")
              .run(context -> {
                  AutoRetryScheduler.Settings settings = context.getBean(AutoRetryScheduler.class).settings();
                  assertThat(settings.schedule()).containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(5),
                                                                  Duration.ofMinutes(30), Duration.ofHours(2),
                                                                  Duration.ofHours(6));
                  assertThat(settings.pollInterval()).isEqualTo(Duration.ofSeconds(30));
                  assertThat(settings.lease()).isEqualTo(Duration.ofSeconds(90));
                  assertThat(settings.batchSize()).isEqualTo(100);
              });
    }

    @Test
    void theRetryJobPollIntervalIsAProperty() throws Exception {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.retry-jobs.poll-interval=250ms")
              .run(context -> {
                  RetryJobRunner runner = context.getBean(RetryJobRunner.class);
                  java.lang.reflect.Field settings = RetryJobRunner.class.getDeclaredField("settings");
                  settings.setAccessible(true);
                  assertThat(((RetryJobRunner.Settings) settings.get(runner)).pollInterval())
                          .isEqualTo(Duration.ofMillis(250));
              });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "axon.dlq.auto-retry.schedule=every hour    | axon.dlq.auto-retry.schedule",
            "axon.dlq.auto-retry.schedule=              | axon.dlq.auto-retry",
            "axon.dlq.auto-retry.schedule=1m,-5m        | axon.dlq.auto-retry",
            "axon.dlq.auto-retry.poll-interval=0s       | axon.dlq.auto-retry",
            "axon.dlq.auto-retry.batch-size=0           | axon.dlq.auto-retry",
    })
    void badAutomaticRetrySettingsFailTheStartWithTheProperty(String property, String named) {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.auto-retry.enabled=true", property)
              .run(context -> assertThat(context).hasFailed().getFailure().hasStackTraceContaining(named));
    }

    @Test
    void aBadRetryJobPollIntervalFailsTheStart() {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.retry-jobs.poll-interval=-1s")
              .run(context -> assertThat(context).hasFailed().getFailure()
                                                 .hasStackTraceContaining("axon.dlq.retry-jobs.poll-interval"));
    }

    @Test
    void aNonPositiveIdempotencyKeyTtlFailsTheStart() {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.retry-jobs.idempotency-key-ttl=0s")
              .run(context -> assertThat(context).hasFailed().getFailure()
                                                 .hasStackTraceContaining("axon.dlq.retry-jobs.idempotency-key-ttl"));
    }

    @Test
    void backsOffWhenTheApplicationDefinesItsOwnBeans() {
        RetryJobs own = new RetryJobs() {
            @Override
            public Created create(RetryJobRequest request, String idempotencyKey, String actor) {
                throw new UnsupportedOperationException();
            }

            @Override
            public Optional<RetryJob> find(UUID id) {
                return Optional.empty();
            }

            @Override
            public Page<RetryJob> list(int limit, String cursor) {
                return new Page<>(java.util.List.of(), null);
            }

            @Override
            public Optional<RetryJob> stop(UUID id, String actor) {
                return Optional.empty();
            }

            @Override
            public Optional<RetryJob> activeJob(String processingGroup) {
                return Optional.empty();
            }
        };
        runner.withBean(RetryJobs.class, () -> own).run(context -> {
            assertThat(context).hasSingleBean(RetryJobs.class);
            assertThat(context.getBean(RetryJobs.class)).isSameAs(own);
        });
    }

    @Test
    void withoutARedelivererThereIsNoRunner() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(RetryJobs.class);
            assertThat(context).doesNotHaveBean(RetryJobRunner.class);
        });
    }

    @Test
    void switchedOffWithAxonDlq() {
        runner.withUserConfiguration(RedelivererConfiguration.class)
              .withPropertyValues("axon.dlq.enabled=false")
              .run(context -> {
                  assertThat(context).doesNotHaveBean(RetryJobs.class);
                  assertThat(context).doesNotHaveBean(RetryJobRunner.class);
              });
    }
}
