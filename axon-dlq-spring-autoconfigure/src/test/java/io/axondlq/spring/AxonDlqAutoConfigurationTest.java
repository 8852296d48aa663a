package io.axondlq.spring;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.NodeId;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.spring.jobs.AxonDlqJobsAutoConfiguration;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.spring.web.AxonDlqWebAutoConfiguration;
import io.axondlq.spring.web.security.AxonDlqWebSecurityAutoConfiguration;
import io.axondlq.spring.web.DeadLetterQueryController;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.PostgresServer;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.config.EventProcessingModule;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.springboot.autoconfig.AxonAutoConfiguration;
import org.axonframework.springboot.autoconfig.AxonTracingAutoConfiguration;
import org.axonframework.springboot.autoconfig.EventProcessingAutoConfiguration;
import org.axonframework.springboot.autoconfig.InfraConfiguration;
import org.axonframework.springboot.autoconfig.JdbcAutoConfiguration;
import org.axonframework.springboot.autoconfig.NoOpTransactionAutoConfiguration;
import org.axonframework.springboot.autoconfig.ObjectMapperAutoConfiguration;
import org.axonframework.springboot.autoconfig.TransactionAutoConfiguration;
import org.axonframework.springboot.autoconfig.XStreamAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.flyway.FlywayAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceTransactionManagerAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/**
 * The core auto-configuration against Axon's own: what appears with a DataSource, what backs off for user beans, what
 * {@code axon.dlq.enabled=false} turns off, and that bad properties fail the start naming the property.
 */
public class AxonDlqAutoConfigurationTest {

    public static final AutoConfigurations AXON = AutoConfigurations.of(
            DataSourceAutoConfiguration.class, DataSourceTransactionManagerAutoConfiguration.class,
            ObjectMapperAutoConfiguration.class, XStreamAutoConfiguration.class, TransactionAutoConfiguration.class,
            NoOpTransactionAutoConfiguration.class, JdbcAutoConfiguration.class, EventProcessingAutoConfiguration.class,
            AxonAutoConfiguration.class, InfraConfiguration.class, AxonTracingAutoConfiguration.class);
    public static final AutoConfigurations AXON_DLQ = AutoConfigurations.of(
            AxonDlqAutoConfiguration.class, AxonDlqJobsAutoConfiguration.class, AxonDlqWebAutoConfiguration.class,
            AxonDlqWebSecurityAutoConfiguration.class);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AXON)
            .withConfiguration(AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    @Test
    void withADataSourceEverythingIsThere() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(AxonDlqProperties.class);
            assertThat(context).hasSingleBean(GroupSettingsResolver.class);
            assertThat(context).hasSingleBean(DeadLetterSchemaInitializer.class);
            assertThat(context).hasSingleBean(DeadLetterStore.class);
            assertThat(context.getBean(DeadLetterStore.class)).isInstanceOf(JdbcDeadLetterStore.class);
            assertThat(context).hasSingleBean(DeadLetteringEventProcessingModule.class);
            assertThat(context.getBean(EventProcessingConfiguration.class))
                    .isInstanceOf(DeadLetteringEventProcessingModule.class);
            assertThat(context).hasSingleBean(DeadLetterRedeliverer.class);
            // one redeliverer, the module's, which hears the closing signal whoever calls it
            assertThat(context.getBean(DeadLetterRedeliverer.class))
                    .isSameAs(context.getBean(DeadLetteringEventProcessingModule.class).redeliverer());
            assertThat(context).hasSingleBean(AuditLog.class);
            // entries are stamped by the database's clock, as leases and due times are, not by this node's
            assertThat(context.getBean(AuditLog.class)).extracting("clock").isInstanceOf(DatabaseClock.class);
            assertThat(context).hasSingleBean(RetryJobs.class);
            // the embedded database got the schema
            JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Long.class)).isZero();
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class)).isZero();
            // not a web application: no REST API
            assertThat(context).doesNotHaveBean(DeadLetterQueryController.class);
        });
    }

    /** The default ({@code embedded}) on H2 in PostgreSQL compatibility mode, as applications' tests open it. */
    @Test
    void theDefaultCreatesTheSchemaOnH2InPostgreSqlMode() {
        runner.withPropertyValues("spring.datasource.url=jdbc:h2:mem:pg-mode-" + UUID.randomUUID()
                                          + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1", "spring.datasource.username=sa")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                  assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Long.class)).isZero();
                  assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class)).isZero();
                  assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_schema_version", Long.class))
                          .isEqualTo(7);
              });
    }

    @Test
    void initializeSchemaFlywayMigratesWithAHistoryTableOfItsOwn() {
        runner.withPropertyValues("axon.dlq.jdbc.initialize-schema=flyway", "axon.dlq.jdbc.table-prefix=dlq_")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                  assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"dlq_schema_history\" WHERE \"success\" "
                                                         + "AND \"type\" = 'SQL'", Long.class)).isEqualTo(7);
                  assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM dlq_letter", Long.class)).isZero();
                  assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM dlq_audit", Long.class)).isZero();
              });
    }

    /**
     * An application with Spring Boot's own Flyway on a fresh database: its migrations must run before axon-dlq creates
     * a table, or its Flyway finds a non-empty schema without its history table and refuses to start (then and on
     * every later start). {@link EarlySchemaUser}, registered before every auto-configuration, asks for axon-dlq's
     * schema first, so that the order is the initializer's dependency, never the order beans happen to be created in.
     * A second start on the same database finds nothing to do.
     */
    @ParameterizedTest(name = "{0}, initialize-schema={1}")
    @CsvSource({"H2, flyway", "POSTGRES, flyway", "H2, always", "POSTGRES, always"})
    void theApplicationsFlywayMigratesAFreshDatabaseBeforeAxonDlqCreatesItsTables(TestDatabase kind, String mode) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            ApplicationContextRunner app = runner
                    .withBean(EarlySchemaUser.class)
                    .withConfiguration(AutoConfigurations.of(FlywayAutoConfiguration.class))
                    .withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
                                        "spring.datasource.username="
                                                + (kind == TestDatabase.H2 ? "sa" : PostgresServer.SUPERUSER),
                                        "spring.flyway.locations=classpath:db/app-migration",
                                        "axon.dlq.jdbc.initialize-schema=" + mode);
            for (int start = 1; start <= 2; start++) {
                app.run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBeanFactory().getBeanDefinition("axonDlqSchemaInitializer").getDependsOn())
                            .as("axon-dlq's schema waits for the application's database initializers")
                            .contains("flywayInitializer");
                    JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM app_thing", Long.class)).isZero();
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Long.class)).isZero();
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_retry_job", Long.class)).isZero();
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"flyway_schema_history\" WHERE \"success\" "
                                                           + "AND \"version\" = '1'", Long.class))
                            .as("the application's V1, in its own history").isEqualTo(1);
                    if (mode.equals("flyway")) {
                        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM \"axon_dlq_schema_history\" WHERE "
                                                               + "\"success\" AND \"type\" = 'SQL'", Long.class))
                                .isEqualTo(7);
                    }
                });
            }
        }
    }

    /**
     * {@code initialize-schema=always} on a pool that does not auto-commit: each script commits, or the pool rolls it
     * back when the connection is returned (PostgreSQL's DDL too: the start failed on the first index of a table that
     * was never there).
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void initializeSchemaAlwaysCreatesTheTablesOnAPoolThatDoesNotAutoCommit(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            runner.withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
                                      "spring.datasource.username="
                                              + (kind == TestDatabase.H2 ? "sa" : PostgresServer.SUPERUSER),
                                      "spring.datasource.hikari.auto-commit=false",
                                      "axon.dlq.jdbc.initialize-schema=always")
                  .run(context -> {
                      assertThat(context).hasNotFailed();
                      JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
                      assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Long.class)).isZero();
                      assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class)).isZero();
                  });
        }
    }

    /** An application bean that needs axon-dlq's schema and is created before any other. */
    record EarlySchemaUser(DeadLetterSchemaInitializer schema) {
    }

    @Test
    void oneNodeIdNamesThisNodeInTheStoreTheInvokersAndTheJobs() {
        runner.withPropertyValues("axon.dlq.node-id=node-7").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(JdbcDeadLetterStore.class).nodeId()).isEqualTo("node-7");
            assertThat(context.getBean(DeadLetteringEventProcessingModule.class).nodeId()).isEqualTo("node-7");
            assertThat(context.getBean(RetryJobRunner.class).owner()).startsWith("node-7/");
        });
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(JdbcDeadLetterStore.class).nodeId()).isEqualTo(NodeId.local());
            assertThat(context.getBean(DeadLetteringEventProcessingModule.class).nodeId()).isEqualTo(NodeId.local());
            assertThat(context.getBean(RetryJobRunner.class).owner()).startsWith(NodeId.local() + "/");
        });
    }

    @Test
    void aUserDefinedStoreWins() {
        DeadLetterStore mine = mock(DeadLetterStore.class);
        runner.withBean("myStore", DeadLetterStore.class, () -> mine).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(DeadLetterStore.class);
            assertThat(context.getBean(DeadLetterStore.class)).isSameAs(mine);
            assertThat(context).doesNotHaveBean(JdbcDeadLetterStore.class);
            assertThat(context.getBean(DeadLetteringEventProcessingModule.class).store()).isSameAs(mine);
        });
    }

    @Test
    void aUserDefinedEventProcessingModuleWins() {
        runner.withBean("myModule", EventProcessingModule.class, EventProcessingModule::new).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(DeadLetteringEventProcessingModule.class);
            assertThat(context).doesNotHaveBean(DeadLetterRedeliverer.class);
            // the store and the audit log stay available to the application
            assertThat(context).hasSingleBean(DeadLetterStore.class);
            assertThat(context).hasSingleBean(AuditLog.class);
        });
    }

    @Test
    void userDefinedSettingsAndAuditLogWin() {
        AuditLog audit = mock(AuditLog.class);
        runner.withBean("myAudit", AuditLog.class, () -> audit).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(AuditLog.class)).isSameAs(audit);
        });
    }

    @Test
    void disabledMeansNothing() {
        runner.withPropertyValues("axon.dlq.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(DeadLetterStore.class);
            assertThat(context).doesNotHaveBean(DeadLetteringEventProcessingModule.class);
            assertThat(context).doesNotHaveBean(AuditLog.class);
            assertThat(context).doesNotHaveBean(RetryJobs.class);
            assertThat(context).doesNotHaveBean(GroupSettingsResolver.class);
            // Axon's own module is back
            assertThat(context).hasSingleBean(EventProcessingModule.class);
        });
    }

    @Test
    void withoutADataSourceNothing() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ObjectMapperAutoConfiguration.class,
                                                         XStreamAutoConfiguration.class,
                                                         NoOpTransactionAutoConfiguration.class,
                                                         EventProcessingAutoConfiguration.class,
                                                         AxonAutoConfiguration.class, InfraConfiguration.class,
                                                         AxonTracingAutoConfiguration.class))
                .withConfiguration(AXON_DLQ)
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withPropertyValues("axon.axonserver.enabled=false")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(DeadLetterStore.class);
                    assertThat(context).doesNotHaveBean(DeadLetteringEventProcessingModule.class);
                });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "axon.dlq.retry.max-attempts=0                                      | axon.dlq.retry.max-attempts",
            "axon.dlq.retry.max-attempts=-3                                     | axon.dlq.retry.max-attempts",
            "axon.dlq.retry.backoff.multiplier=0.5                              | axon.dlq.retry.backoff.multiplier",
            "axon.dlq.retry.backoff.initial=-1s                                 | axon.dlq.retry.backoff.initial",
            "axon.dlq.retry.backoff.max=-1s                                     | axon.dlq.retry.backoff.max",
            "axon.dlq.retry.non-retryable-exceptions=com.example.NoSuchException | axon.dlq.retry.non-retryable-exceptions",
            "axon.dlq.retry.non-retryable-exceptions=java.lang.String           | axon.dlq.retry.non-retryable-exceptions",
            "axon.dlq.retry.skip-exceptions=com.example.Nope                    | axon.dlq.retry.skip-exceptions",
            "axon.dlq.limits.max-sequences=-1                                   | axon.dlq.limits.max-sequences",
            "axon.dlq.limits.max-sequence-size=0                                | axon.dlq.limits.max-sequence-size",
            "axon.dlq.processing-groups.ledger.retry.max-attempts=0             | axon.dlq.processing-groups.ledger.retry.max-attempts",
            "axon.dlq.processing-groups.ledger.limits.max-sequences=-5          | axon.dlq.processing-groups.ledger.limits.max-sequences",
            "axon.dlq.retry.max-attempts=many                                   | axon.dlq.retry.max-attempts",
            "axon.dlq.jdbc.initialize-schema=sometimes                          | axon.dlq.jdbc.initialize-schema",
            "axon.dlq.redelivery.max-letters-per-request=0                      | axon.dlq.redelivery.max-letters-per-request",
            "axon.dlq.redelivery.max-letters-per-request=-3                     | axon.dlq.redelivery.max-letters-per-request",
            "axon.dlq.claim.lease=0s                                            | axon.dlq.claim.lease",
            "axon.dlq.claim.lease=-5s                                           | axon.dlq.claim.lease",
            "axon.dlq.claim.lease=500us                                         | axon.dlq.claim.lease",
            "'axon.dlq.node-id= '                                               | axon.dlq.node-id",
            "axon.dlq.node-id=                                                  | axon.dlq.node-id",
            "axon.dlq.jdbc.table-prefix=bad-prefix;                             | axon.dlq.jdbc.table-prefix",
            "axon.dlq.jdbc.table-prefix=                                        | axon.dlq.jdbc.table-prefix",
    })
    void badPropertiesFailTheStartNamingTheProperty(String property, String named) {
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure())).contains(named);
        });
    }

    @Test
    void theLetterLimitOfSynchronousRedeliveriesIsConfigured() {
        runner.run(context -> assertThat(context.getBean(DeadLetterOperations.class).maxLettersPerRequest())
                .isEqualTo(DeadLetterOperations.DEFAULT_MAX_LETTERS_PER_REQUEST).isEqualTo(1000));
        runner.withPropertyValues("axon.dlq.redelivery.max-letters-per-request=7")
              .run(context -> assertThat(context.getBean(DeadLetterOperations.class).maxLettersPerRequest())
                      .isEqualTo(7));
    }

    public static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
