package io.axondlq.spring;

import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.LegacySchema;
import io.axondlq.testsupport.PostgresServer;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A start that does not create axon-dlq's schema ({@code initialize-schema=never}, or the default {@code embedded} on a
 * server database) checks it instead: without its tables, or behind the scripts of this version, the start fails
 * naming the property, rather than every batch of an axon-dlq group failing (and being retried) while the application
 * looks healthy. A schema complete by any route (axon-dlq's record, its Flyway history, scripts applied by hand) starts.
 */
class DeadLetterSchemaRequiredTest {

    private static final List<String> SCRIPTS = allScripts();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false");

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void withoutTablesTheStartFailsNamingTheProperty(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            // never: the operator's choice, and nothing there
            on(db, kind, "axon.dlq.jdbc.initialize-schema=never").run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("lacks the tables [axon_dlq_sequence, axon_dlq_letter")
                        .hasMessageContaining("axon.dlq.jdbc.initialize-schema=never leaves it to you")
                        .hasMessageContaining("Set axon.dlq.jdbc.initialize-schema=always or flyway");
            });
            assertThat(tableCount(db)).as("the check changes nothing").isZero();
        }
    }

    /** The default on a server database: the case a user meets first when moving from H2 to PostgreSQL. */
    @Test
    void theDefaultOnAServerDatabaseWithoutTablesFailsTheStartSayingWhy() {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.POSTGRES)) {
            on(db, TestDatabase.POSTGRES).run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("POSTGRESQL database lacks the tables")
                        .hasMessageContaining("initialize-schema=embedded (the default) creates it only in an "
                                                      + "embedded database")
                        .hasMessageContaining("classpath:db/axon-dlq/postgresql");
            });
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSchemaBehindThisVersionsScriptsFailsTheStartNamingThem(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            SchemaInitializer.initialize(db.dataSource(), dialect(kind), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                         SCRIPTS);
            String last = SCRIPTS.get(SCRIPTS.size() - 1);
            // as an earlier version's always left it: every table there, its last script not yet recorded
            new JdbcTemplate(db.dataSource()).update("DELETE FROM axon_dlq_schema_version WHERE script = ?", last);

            on(db, kind, "axon.dlq.jdbc.initialize-schema=never").run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("lacks the migrations [" + last + "]")
                        .hasMessageContaining("axon_dlq_schema_version");
            });
        }
    }

    /**
     * Scripts applied by hand leave no record: the tables alone told whether the schema was complete, so a schema
     * whose operator applied the previous release's scripts (V1 to V5) started, and every batch that parks an event
     * failed on the missing column (V6's touched_at) while the application looked healthy.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSchemaAppliedByHandBehindThisVersionsScriptsFailsTheStartNamingTheMissingColumns(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            LegacySchema.apply(db.dataSource(), kind, SCRIPTS.subList(0, 5).toArray(String[]::new));

            on(db, kind, "axon.dlq.jdbc.initialize-schema=never").run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("axon_dlq_sequence.touched_at (V6__axon_dlq_touch_clock.sql)")
                        .hasMessageContaining("axon_dlq_sequence.retry_base_at (V7__axon_dlq_retry_due.sql)")
                        .hasMessageContaining("axon.dlq.jdbc.initialize-schema=never leaves it to you");
            });
            assertThat(tableCount(db)).as("the check changes nothing").isEqualTo(9);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aCompleteSchemaStartsWhateverCreatedIt(TestDatabase kind) {
        // by axon-dlq's initializer (recorded)
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            SchemaInitializer.initialize(db.dataSource(), dialect(kind), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                         SCRIPTS);
            on(db, kind, "axon.dlq.jdbc.initialize-schema=never")
                    .run(context -> assertThat(context).hasNotFailed());
        }
        // by hand (or by the application's own migrations): no record, the tables are what is checked
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            LegacySchema.apply(db.dataSource(), kind, SCRIPTS.toArray(String[]::new));
            on(db, kind, "axon.dlq.jdbc.initialize-schema=never")
                    .run(context -> assertThat(context).hasNotFailed());
            assertThat(tableCount(db)).as("nothing recorded or created by the check").isEqualTo(9);
        }
    }

    private ApplicationContextRunner on(FreshDatabase db, TestDatabase kind, String... properties) {
        return runner.withPropertyValues("spring.datasource.url=" + db.jdbcUrl(),
                                         "spring.datasource.username="
                                                 + (kind == TestDatabase.H2 ? "sa" : PostgresServer.SUPERUSER))
                     .withPropertyValues(properties);
    }

    private static long tableCount(FreshDatabase db) {
        return new JdbcTemplate(db.dataSource()).queryForObject(
                "SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_name) LIKE 'axon\\_dlq\\_%' "
                        + "ESCAPE '\\' AND table_schema = CURRENT_SCHEMA", Long.class);
    }

    private static SqlDialect dialect(TestDatabase kind) {
        return kind == TestDatabase.H2 ? SqlDialect.H2 : SqlDialect.POSTGRESQL;
    }

    /** Every script of this version, in version order (V1, V2, ...). */
    private static List<String> allScripts() {
        List<String> scripts = new ArrayList<>(SchemaInitializer.STORE_SCRIPTS);
        scripts.add(SchemaInitializer.OPERATIONS_SCRIPT);
        scripts.sort(Comparator.comparingInt(script -> Integer.parseInt(script.substring(1, script.indexOf("__")))));
        return List.copyOf(scripts);
    }
}
