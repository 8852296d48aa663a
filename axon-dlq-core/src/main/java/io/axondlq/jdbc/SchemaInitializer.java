package io.axondlq.jdbc;

import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Creates the axon-dlq tables from the same DDL resources that serve as Flyway migrations
 * ({@code classpath:db/axon-dlq/{postgresql|h2}}). Every statement is {@code IF NOT EXISTS}, so running it again is
 * harmless.
 */
public final class SchemaInitializer {

    /** Placeholder in the DDL; with Flyway, set {@code spring.flyway.placeholders.axon_dlq_prefix}. */
    public static final String PREFIX_PLACEHOLDER = "${axon_dlq_prefix}";
    public static final String DEFAULT_TABLE_PREFIX = "axon_dlq_";
    /** The store's tables; the first migration. */
    public static final String STORE_SCRIPT = "V1__axon_dlq_schema.sql";
    /** The store's full keys of hashed sequence keys. */
    public static final String SEQUENCE_KEYS_SCRIPT = "V3__axon_dlq_sequence_keys.sql";
    /** The store's fourth migration: one letter per event identifier, the group lock row for max-sequences. */
    public static final String LETTER_PER_EVENT_SCRIPT = "V4__axon_dlq_letter_per_event.sql";
    /** The index behind the per-hour statistics ({@code enqueued_at}). */
    public static final String ENQUEUED_INDEX_SCRIPT = "V5__axon_dlq_enqueued_index.sql";
    /** The sequence's last touch by the database's clock ({@code touched_at}), for the automatic-retry schedule. */
    public static final String TOUCH_CLOCK_SCRIPT = "V6__axon_dlq_touch_clock.sql";
    /** The operations tables: retry jobs, the audit log, automatic retry (not part of {@link #STORE_SCRIPTS}). */
    public static final String OPERATIONS_SCRIPT = "V2__axon_dlq_operations.sql";
    /** Every migration of the store, in order (V2, {@link #OPERATIONS_SCRIPT}, holds the operations tables). */
    public static final List<String> STORE_SCRIPTS = List.of(STORE_SCRIPT, SEQUENCE_KEYS_SCRIPT, LETTER_PER_EVENT_SCRIPT,
                                                           ENQUEUED_INDEX_SCRIPT, TOUCH_CLOCK_SCRIPT);

    private SchemaInitializer() {
    }

    public static void initialize(DataSource dataSource, String tablePrefix) {
        initialize(dataSource, SqlDialect.detect(dataSource), tablePrefix);
    }

    /** Runs every store migration ({@link #STORE_SCRIPTS}). */
    public static void initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix) {
        for (String script : STORE_SCRIPTS) {
            initialize(dataSource, dialect, tablePrefix, script);
        }
    }

    /**
     * Runs one script of the dialect's migration folder, e.g. the Spring Boot module's operations tables.
     */
    public static void initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix, String script) {
        dialect.statements(tablePrefix); // validates the prefix before it reaches any SQL
        List<String> statements = statements(dialect, tablePrefix, script);
        // One connection for the script, committed here unless it is the caller's transaction's: a pool that does not
        // auto-commit rolls back what a returned connection left uncommitted (on PostgreSQL the DDL too, and the next
        // statement would not find its table).
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.execute((ConnectionCallback<Void>) connection -> {
            try (Statement statement = connection.createStatement()) {
                for (String sql : statements) {
                    try {
                        statement.execute(sql);
                    } catch (SQLException e) { // named here: the callback's own translation would not say which
                        DataAccessException translated = jdbc.getExceptionTranslator().translate(script, sql, e);
                        throw translated != null ? translated : new UncategorizedSQLException(script, sql, e);
                    }
                }
            }
            if (!connection.getAutoCommit() && !DataSourceUtils.isConnectionTransactional(
                    DataSourceUtils.getTargetConnection(connection), dataSource)) {
                connection.commit();
            }
            return null;
        });
    }

    /** The DDL statements of the store, with the prefix filled in. */
    public static List<String> statements(SqlDialect dialect, String tablePrefix) {
        return STORE_SCRIPTS.stream().flatMap(script -> statements(dialect, tablePrefix, script).stream()).toList();
    }

    private static List<String> statements(SqlDialect dialect, String tablePrefix, String scriptName) {
        String script = read(dialect.migrationFolder() + "/" + scriptName).replace(PREFIX_PLACEHOLDER, tablePrefix);
        String withoutComments = script.lines()
                                       .filter(line -> !line.stripLeading().startsWith("--"))
                                       .collect(Collectors.joining("\n"));
        return Arrays.stream(withoutComments.split(";"))
                     .map(String::strip)
                     .filter(s -> !s.isEmpty())
                     .toList();
    }

    private static String read(String resource) {
        try (InputStream in = SchemaInitializer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing schema resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
