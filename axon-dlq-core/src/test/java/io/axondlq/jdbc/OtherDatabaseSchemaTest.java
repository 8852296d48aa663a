package io.axondlq.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.DueSequence;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.LegacySchema;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * axon-dlq's tables in a database schema other than the default one ({@code currentSchema=dlq} in a PostgreSQL URL,
 * {@code SCHEMA=DLQ} in an H2 one), in a database whose default schema holds another copy of them at another version
 * (another application's, or an earlier install's). Whatever the store asks of the catalog must be about the tables
 * its statements use, those of its own schema.
 */
class OtherDatabaseSchemaTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    private static final List<Duration> SCHEDULE = List.of(Duration.ZERO, Duration.ZERO);
    private static final String[] BEFORE_V7 = {"V1__axon_dlq_schema.sql", "V2__axon_dlq_operations.sql",
            "V3__axon_dlq_sequence_keys.sql", "V4__axon_dlq_letter_per_event.sql", "V5__axon_dlq_enqueued_index.sql",
            "V6__axon_dlq_touch_clock.sql"};

    /**
     * The application's schema lacks V7 (scripts applied by hand, the store used through the Java API), the default
     * schema has it: the store must keep the query of a schema without V7, as the README promises, not use V7's
     * columns, which its tables do not have.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSchemaWithoutV7IsServedByTheQueryBeforeV7WhenAnotherSchemaHasV7(TestDatabase kind) {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            SchemaInitializer.initialize(db.dataSource(), SqlDialect.detect(db.dataSource()), PREFIX,
                                         List.of(SchemaInitializer.STORE_SCRIPT, SchemaInitializer.OPERATIONS_SCRIPT,
                                                 SchemaInitializer.SEQUENCE_KEYS_SCRIPT,
                                                 SchemaInitializer.LETTER_PER_EVENT_SCRIPT,
                                                 SchemaInitializer.ENQUEUED_INDEX_SCRIPT,
                                                 SchemaInitializer.TOUCH_CLOCK_SCRIPT,
                                                 SchemaInitializer.RETRY_DUE_SCRIPT));
            new JdbcTemplate(db.dataSource()).execute("CREATE SCHEMA dlq");
            try (HikariDataSource dlq = inSchemaDlq(db)) {
                LegacySchema.apply(dlq, kind, BEFORE_V7);
                JdbcDeadLetterStore store = JdbcDeadLetterStoreTest.storeOn(dlq, "node-a",
                                                                            new DeadLetterLimits(10, 10));
                store.enqueue("orders", JdbcDeadLetterStoreTest.parked("order-1"));

                assertThat(store.dueForAutomaticRetry("orders", SCHEDULE, 10)).extracting(DueSequence::sequenceKey)
                                                                                .containsExactly("order-1");
                assertThat(store.recordAutomaticRetry("orders", "order-1", 1, "FAILED", Duration.ZERO)).isTrue();
                assertThat(store.dueForAutomaticRetry("orders", SCHEDULE, 10)).extracting(DueSequence::retries)
                                                                                .containsExactly(1);

                // V7 applied to the application's schema while the node runs: seen, and its copy agrees.
                LegacySchema.apply(dlq, kind, SchemaInitializer.RETRY_DUE_SCRIPT);
                assertThat(store.recordAutomaticRetry("orders", "order-1", 2, "FAILED", Duration.ZERO)).isTrue();
                assertThat(new JdbcTemplate(dlq).queryForObject("SELECT auto_retries FROM " + PREFIX + "sequence",
                                                                Integer.class)).isEqualTo(2);
                assertThat(store.dueForAutomaticRetry("orders", List.of(Duration.ZERO, Duration.ZERO, Duration.ZERO),
                                                      10)).extracting(DueSequence::retries).containsExactly(2);
            }
        }
    }

    /** A pool on the same database whose connections use the schema {@code dlq} (created by the caller). */
    static HikariDataSource inSchemaDlq(FreshDatabase db) {
        HikariConfig config = new HikariConfig();
        config.setPoolName(db.name() + "-dlq");
        config.setJdbcUrl(db.kind() == TestDatabase.POSTGRES
                                  ? db.jdbcUrl() + (db.jdbcUrl().contains("?") ? "&" : "?") + "currentSchema=dlq"
                                  : db.jdbcUrl() + ";SCHEMA=DLQ");
        config.setUsername(db.dataSource().getUsername());
        config.setPassword(db.dataSource().getPassword());
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(1);
        return new HikariDataSource(config);
    }
}
