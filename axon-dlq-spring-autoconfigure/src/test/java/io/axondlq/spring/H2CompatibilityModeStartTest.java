package io.axondlq.spring;

import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * H2 in a compatibility mode, as applications' tests open it. In MSSQLServer, Oracle, Derby and STRICT mode H2 rejects
 * {@code LIMIT}, which the store's queries use: the tables were created and events parked, but no letter could be
 * listed, redelivered or retried. Such a start fails at once, naming the mode and where it is set; the modes the store
 * runs in start.
 */
class H2CompatibilityModeStartTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false");

    /** Whatever creates the tables (or leaves them to the application): the check comes before any of it. */
    @ParameterizedTest(name = "MODE={0}, initialize-schema={1}")
    @MethodSource("modesWithoutLimitAndSchemaModes")
    void aModeThatRejectsTheStoresQueriesFailsTheStartNamingIt(String mode, String initializeSchema) {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.H2, mode)) {
            on(db, "axon.dlq.jdbc.initialize-schema=" + initializeSchema).run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("compatibility mode " + mode)
                        .hasMessageContaining("LIMIT")
                        .hasMessageContaining("spring.datasource.url");
            });
            assertThat(new JdbcTemplate(db.dataSource()).queryForObject(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_name) LIKE 'axon_dlq%'",
                    Integer.class)).as("nothing created").isZero();
        }
    }

    static Stream<Arguments> modesWithoutLimitAndSchemaModes() {
        return Stream.of("MSSQLServer", "Oracle", "Derby", "STRICT")
                     .flatMap(mode -> Stream.of("always", "embedded", "never", "flyway")
                                            .map(initializeSchema -> Arguments.of(mode, initializeSchema)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"PostgreSQL", "MySQL", "MariaDB", "DB2", "HSQLDB", "LEGACY"})
    void theModesTheStoreRunsInStart(String mode) {
        try (FreshDatabase db = TestDatabases.fresh(TestDatabase.H2, mode)) {
            on(db).run(context -> assertThat(context).hasNotFailed());
        }
    }

    private ApplicationContextRunner on(FreshDatabase db, String... properties) {
        return runner.withPropertyValues("spring.datasource.url=" + db.jdbcUrl(), "spring.datasource.username=sa")
                     .withPropertyValues(properties);
    }
}
