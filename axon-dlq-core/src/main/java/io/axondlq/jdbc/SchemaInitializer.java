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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Creates and migrates the axon-dlq tables from the same DDL resources that serve as Flyway migrations
 * ({@code classpath:db/axon-dlq/{postgresql|h2}}), recording what it applied in {@code <prefix>schema_version} so that
 * a later start runs only what is new. Every statement is {@code IF NOT EXISTS} or a repair that finds nothing the
 * second time, so running a script again is harmless (an earlier version ran all of them at every start).
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
    /** The automatic-retry count, last retry and schedule base on the sequence row, indexed for the due query. */
    public static final String RETRY_DUE_SCRIPT = "V7__axon_dlq_retry_due.sql";
    /** The operations tables: retry jobs, the audit log, automatic retry (not part of {@link #STORE_SCRIPTS}). */
    public static final String OPERATIONS_SCRIPT = "V2__axon_dlq_operations.sql";
    /** Every migration of the store, in order (V2, {@link #OPERATIONS_SCRIPT}, holds the operations tables). */
    public static final List<String> STORE_SCRIPTS = List.of(STORE_SCRIPT, SEQUENCE_KEYS_SCRIPT, LETTER_PER_EVENT_SCRIPT,
                                                           ENQUEUED_INDEX_SCRIPT, TOUCH_CLOCK_SCRIPT,
                                                           RETRY_DUE_SCRIPT);

    /**
     * How long a script's statement waits for a table lock on PostgreSQL before the start fails: a DDL statement waiting
     * for a lock holds up every later reader of that table, on every node. The wait for the schema lock (another node's
     * run) is bounded by the same, so that a peer hanging mid-run fails the start rather than hangs it.
     */
    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);

    private static final Pattern VERSION = Pattern.compile("V(\\d+)__.+");
    private static final Pattern CREATED_TABLE = Pattern.compile("^\\s*CREATE TABLE IF NOT EXISTS (\\w+)",
                                                                 Pattern.CASE_INSENSITIVE);
    private static final Pattern ADDED_COLUMN = Pattern.compile(
            "^\\s*ALTER TABLE (\\w+)\\s+ADD COLUMN IF NOT EXISTS (\\w+)", Pattern.CASE_INSENSITIVE);
    /** SQLSTATEs of a lock wait that ran out: PostgreSQL's lock_not_available, H2's lock timeout. */
    private static final Set<String> LOCK_TIMEOUT_STATES = Set.of("55P03", "HYT00");
    /**
     * H2 compatibility modes that reject {@code LIMIT}, which the store's queries use (H2 2.x): in them the tables are
     * created and letters stored, but none can be listed, redelivered or retried.
     */
    private static final Set<String> H2_MODES_WITHOUT_LIMIT = Set.of("MSSQLSERVER", "ORACLE", "DERBY", "STRICT");
    private static final String APPLIED_BY_INITIALIZER = "initializer";
    private static final String APPLIED_BY_FLYWAY = "flyway";
    /** Per H2 database and prefix: an in-memory database lives in one JVM, so this serialises every pool on it. */
    private static final Map<String, ReentrantLock> H2_LOCKS = new ConcurrentHashMap<>();

    private SchemaInitializer() {
    }

    public static void initialize(DataSource dataSource, String tablePrefix) {
        initialize(dataSource, SqlDialect.detect(dataSource), tablePrefix);
    }

    /** Applies every store migration ({@link #STORE_SCRIPTS}) not applied yet. */
    public static void initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix) {
        initialize(dataSource, dialect, tablePrefix, STORE_SCRIPTS);
    }

    /**
     * Applies one script of the dialect's migration folder unless it was applied before, e.g. the Spring Boot
     * module's operations tables.
     */
    public static void initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix, String script) {
        initialize(dataSource, dialect, tablePrefix, List.of(script));
    }

    /** Applies the scripts not applied yet, in version order, with {@link #DEFAULT_LOCK_TIMEOUT}. */
    public static List<String> initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix,
                                          List<String> scripts) {
        return initialize(dataSource, dialect, tablePrefix, scripts, DEFAULT_LOCK_TIMEOUT);
    }

    /**
     * Applies the scripts of the dialect's migration folder that {@code <prefix>schema_version} does not record yet, in
     * version order, and records them. A start that finds every script recorded only reads that table: it takes no
     * lock on the other tables. A schema without the record (created by an earlier version's {@code always}) is taken
     * over: every script runs once more (each is safe on existing tables), then is recorded; a script that Flyway mode
     * applied ({@code <prefix>schema_history}) is recorded without running.
     * <p>
     * One run at a time per database and prefix: on PostgreSQL under an advisory lock, in one transaction (the
     * caller's, if the connection takes part in one; then the caller commits), so that nodes starting at once do not
     * race in the catalog and a failed run leaves nothing half applied; on H2 under a lock of this JVM. On PostgreSQL
     * every lock wait is bounded by {@code lockTimeout}: the wait for the advisory lock (a peer's run, or a stuck
     * session holding it) fails the call rather than hang the start, and a script blocked by long transactions fails
     * it rather than stall every reader of the table behind its wait.
     *
     * @return the scripts this call applied or recorded, in order
     * @throws IllegalStateException when the wait for the schema lock or a script's lock wait ran out; nothing is
     *                               applied then
     */
    public static List<String> initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix,
                                          List<String> scripts, Duration lockTimeout) {
        dialect.statements(tablePrefix); // validates the prefix before it reaches any SQL
        SchemaStatements sql = SchemaStatements.of(dialect, tablePrefix);
        List<String> ordered = scripts.stream().distinct().sorted(Comparator.comparingInt(SchemaInitializer::version))
                                      .toList();
        Map<String, List<String>> ddl = new LinkedHashMap<>();
        ordered.forEach(script -> ddl.put(script, statements(dialect, tablePrefix, script)));
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        return jdbc.execute((ConnectionCallback<List<String>>) connection -> {
            boolean callers = DataSourceUtils.isConnectionTransactional(DataSourceUtils.getTargetConnection(connection),
                                                                        dataSource);
            // H2 before its catalog is read too: H2 2.x reading INFORMATION_SCHEMA while another session of the
            // database runs DDL can fail with "General error: java.util.ConcurrentModificationException".
            ReentrantLock jvmLock = dialect == SqlDialect.H2 ? h2Lock(connection, tablePrefix) : null;
            if (jvmLock != null) {
                jvmLock.lock();
            }
            try {
                if (exists(connection, sql.tableExists(), sql.versionTable)
                        && applied(connection, sql).containsAll(ordered)) {
                    endOwnTransaction(connection, callers);
                    return List.of();
                }
                return applyScripts(connection, jdbc, sql, ddl, lockTimeout, callers);
            } finally {
                if (jvmLock != null) {
                    jvmLock.unlock();
                }
            }
        });
    }

    private static List<String> applyScripts(Connection connection, JdbcTemplate jdbc, SchemaStatements sql,
                                             Map<String, List<String>> ddl, Duration lockTimeout, boolean callers)
            throws SQLException {
        // PostgreSQL: one transaction holds the advisory lock and makes the scripts and their record one change.
        boolean ownTransaction = !callers && connection.getAutoCommit() && sql.lockSchema() != null;
        if (ownTransaction) {
            connection.setAutoCommit(false);
        }
        try {
            List<String> done = apply(connection, jdbc, sql, ddl, lockTimeout);
            endOwnTransaction(connection, callers);
            return done;
        } catch (SQLException | RuntimeException e) {
            if (!callers && !connection.getAutoCommit()) {
                rollbackQuietly(connection, e);
            }
            throw e;
        } finally {
            if (ownTransaction) {
                connection.setAutoCommit(true);
            }
        }
    }

    /**
     * What a schema created by someone else lacks: for a start that does not create it ({@code never}, {@code embedded}
     * on a server database), so that a missing or outdated schema fails the start rather than every batch of events.
     *
     * @param missingTables  tables the scripts create that are not in the current schema
     * @param missingScripts scripts that neither {@code <prefix>schema_version} nor Flyway mode's history records as
     *                       applied; empty when neither table exists (scripts applied by hand or by the application's
     *                       own migrations leave no record: their tables and columns are what is checked then)
     * @param missingColumns columns the scripts add to existing tables that are not there, each as
     *                       {@code table.column (script)}: a schema applied by hand up to an earlier version has every
     *                       table, and every statement writing the later columns would fail
     */
    public record SchemaGaps(List<String> missingTables, List<String> missingScripts, List<String> missingColumns) {

        public SchemaGaps(List<String> missingTables, List<String> missingScripts) {
            this(missingTables, missingScripts, List.of());
        }

        public boolean none() {
            return missingTables.isEmpty() && missingScripts.isEmpty() && missingColumns.isEmpty();
        }
    }

    /** Reads (never changes) what the scripts would create or record; see {@link SchemaGaps}. */
    public static SchemaGaps gaps(DataSource dataSource, SqlDialect dialect, String tablePrefix, List<String> scripts) {
        dialect.statements(tablePrefix); // validates the prefix before it reaches any SQL
        SchemaStatements sql = SchemaStatements.of(dialect, tablePrefix);
        List<String> ordered = scripts.stream().distinct().sorted(Comparator.comparingInt(SchemaInitializer::version))
                                      .toList();
        List<String> tables = ordered.stream()
                                     .flatMap(script -> statements(dialect, tablePrefix, script).stream())
                                     .map(CREATED_TABLE::matcher).filter(Matcher::find).map(m -> m.group(1))
                                     .distinct().toList();
        Map<String, List<String[]>> columns = new LinkedHashMap<>(); // script -> (table, column) it adds
        for (String script : ordered) {
            columns.put(script, statements(dialect, tablePrefix, script).stream().map(ADDED_COLUMN::matcher)
                                                                        .filter(Matcher::find)
                                                                        .map(m -> new String[]{m.group(1), m.group(2)})
                                                                        .toList());
        }
        return new JdbcTemplate(dataSource).execute((ConnectionCallback<SchemaGaps>) connection -> {
            List<String> missingTables = new ArrayList<>();
            for (String table : tables) {
                if (!exists(connection, sql.tableExists(), table)) {
                    missingTables.add(table);
                }
            }
            List<String> missingColumns = new ArrayList<>();
            for (Map.Entry<String, List<String[]>> script : columns.entrySet()) {
                for (String[] column : script.getValue()) {
                    if (!missingTables.contains(column[0]) && !columnExists(connection, sql, column[0], column[1])) {
                        missingColumns.add(column[0] + "." + column[1] + " (" + script.getKey() + ")");
                    }
                }
            }
            boolean recorded = exists(connection, sql.tableExists(), sql.versionTable);
            boolean byFlyway = exists(connection, sql.quotedTableExists(), sql.flywayHistoryTable);
            Set<String> applied = recorded ? applied(connection, sql) : Set.of();
            Set<Integer> flywayApplied = byFlyway ? flywayVersions(connection, sql) : Set.of();
            List<String> missingScripts = !recorded && !byFlyway ? List.of()
                    : ordered.stream().filter(script -> !applied.contains(script)
                            && !flywayApplied.contains(version(script))).toList();
            return new SchemaGaps(missingTables, missingScripts, missingColumns);
        });
    }

    private static List<String> apply(Connection connection, JdbcTemplate jdbc, SchemaStatements sql,
                                      Map<String, List<String>> ddl, Duration lockTimeout) throws SQLException {
        String previousLockTimeout = sql.currentLockTimeout() == null ? null
                : queryString(connection, sql.currentLockTimeout());
        // Set before the schema lock, which it bounds too: a peer that hangs mid-run (or a stuck session holding the
        // lock) fails this start instead of hanging it.
        setLockTimeout(connection, sql, sql.lockTimeoutValue(Math.max(1, lockTimeout.toMillis())));
        if (sql.lockSchema() != null) {
            try (PreparedStatement lock = connection.prepareStatement(sql.lockSchema())) {
                lock.setLong(1, sql.lockKey());
                lock.execute();
            } catch (SQLException e) {
                if (LOCK_TIMEOUT_STATES.contains(e.getSQLState())) {
                    throw new IllegalStateException(schemaLockTimeoutMessage(sql, lockTimeout), e);
                }
                throw e;
            }
        }
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql.createVersionTable());
        }
        // Read under the lock: a node that waited finds what the node before it applied.
        Set<String> applied = applied(connection, sql);
        Set<Integer> byFlyway = exists(connection, sql.quotedTableExists(), sql.flywayHistoryTable)
                ? flywayVersions(connection, sql) : Set.of();
        List<String> done = new ArrayList<>();
        for (Map.Entry<String, List<String>> script : ddl.entrySet()) {
            if (applied.contains(script.getKey())) {
                continue;
            }
            boolean flyway = byFlyway.contains(version(script.getKey()));
            if (!flyway) {
                run(connection, jdbc, script.getKey(), script.getValue(),
                    sql.setLockTimeout() != null ? lockTimeout.toMillis() + " ms" : "the database's lock timeout");
            }
            try (PreparedStatement record = connection.prepareStatement(sql.recordScript())) {
                record.setString(1, script.getKey());
                record.setString(2, flyway ? APPLIED_BY_FLYWAY : APPLIED_BY_INITIALIZER);
                record.setString(3, script.getKey());
                record.executeUpdate();
            }
            done.add(script.getKey());
        }
        if (previousLockTimeout != null) {
            setLockTimeout(connection, sql, previousLockTimeout);
        }
        return done;
    }

    private static void run(Connection connection, JdbcTemplate jdbc, String script, List<String> statements,
                            String lockWait) {
        try (Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                try {
                    statement.execute(sql);
                } catch (SQLException e) { // named here: the callback's own translation would not say which
                    DataAccessException translated = jdbc.getExceptionTranslator().translate(script, sql, e);
                    RuntimeException failure = translated != null ? translated
                            : new UncategorizedSQLException(script, sql, e);
                    if (LOCK_TIMEOUT_STATES.contains(e.getSQLState())) {
                        throw new IllegalStateException(lockTimeoutMessage(script, sql, lockWait), failure);
                    }
                    throw failure;
                }
            }
        } catch (SQLException e) {
            throw new UncategorizedSQLException(script, null, e);
        }
    }

    private static String lockTimeoutMessage(String script, String sql, String lockWait) {
        return "axon-dlq could not apply its schema migration " + script + ": [" + sql.lines().findFirst().orElse(sql)
                + " ...] waited " + lockWait + " for a lock on its table, which other transactions "
                + "hold (event processor batches, a long transaction, another node's start). Nothing of the "
                + "migration was applied (on PostgreSQL); start again once they are done, or apply it in a "
                + "maintenance window with the processors stopped (axon.dlq.jdbc.initialize-schema=flyway, or never "
                + "and the scripts by hand).";
    }

    private static String schemaLockTimeoutMessage(SchemaStatements sql, Duration lockTimeout) {
        long key = sql.lockKey();
        return "axon-dlq could not initialize its schema: another session held its schema lock (PostgreSQL advisory "
                + "lock " + key + " of table prefix " + sql.tablePrefix + ") for longer than " + lockTimeout.toMillis()
                + " ms. Another node is applying the schema migrations, or a session that took the lock is stuck in "
                + "an open transaction. Nothing was changed. Start again once the other node's start is done; if the "
                + "lock stays held, find its session in pg_locks (locktype 'advisory', classid " + (key >>> 32)
                + ", objid " + (key & 0xFFFFFFFFL) + ") and pg_stat_activity, and end its transaction.";
    }

    private static void setLockTimeout(Connection connection, SchemaStatements sql, String value) throws SQLException {
        if (sql.setLockTimeout() == null) {
            return;
        }
        try (PreparedStatement set = connection.prepareStatement(sql.setLockTimeout())) {
            set.setString(1, value);
            set.execute();
        }
    }

    /** Commits what this call did unless the connection is the caller's transaction's (then the caller's to end). */
    private static void endOwnTransaction(Connection connection, boolean callers) throws SQLException {
        // A pool that does not auto-commit rolls back what a returned connection left uncommitted (on PostgreSQL the
        // DDL too, and the next statement would not find its table).
        if (!callers && !connection.getAutoCommit()) {
            connection.commit();
        }
    }

    private static void rollbackQuietly(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * The H2 database's lock for this prefix, keyed by its URL without settings: pools of one in-memory database in one
     * JVM share it (H2 across JVMs, through its server, is not serialised: its scripts stay safe to run twice).
     */
    private static ReentrantLock h2Lock(Connection connection, String tablePrefix) throws SQLException {
        String url = connection.getMetaData().getURL();
        String database = url == null ? "" : url.split(";", 2)[0].toLowerCase(Locale.ROOT);
        return H2_LOCKS.computeIfAbsent(database + " " + tablePrefix.toLowerCase(Locale.ROOT),
                                        key -> new ReentrantLock());
    }

    private static boolean exists(Connection connection, String query, String table) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(query)) {
            statement.setString(1, table);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && rows.getInt(1) > 0;
            }
        }
    }

    private static boolean columnExists(Connection connection, SchemaStatements sql, String table, String column)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql.columnExists())) {
            statement.setString(1, table);
            statement.setString(2, column);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && rows.getInt(1) > 0;
            }
        }
    }

    private static Set<String> applied(Connection connection, SchemaStatements sql) throws SQLException {
        Set<String> scripts = new HashSet<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql.appliedScripts())) {
            while (rows.next()) {
                scripts.add(rows.getString(1));
            }
        }
        return scripts;
    }

    private static Set<Integer> flywayVersions(Connection connection, SchemaStatements sql) throws SQLException {
        Set<Integer> versions = new HashSet<>();
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql.flywayVersions())) {
            while (rows.next()) {
                String version = rows.getString(1);
                if (version.chars().allMatch(Character::isDigit)) { // Flyway's baseline is "0"; axon-dlq has no "1.1"
                    versions.add(Integer.parseInt(version));
                }
            }
        }
        return versions;
    }

    private static String queryString(Connection connection, String query) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(query)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    /**
     * The database's compatibility mode when it is not the one axon-dlq's Flyway scripts are written for: an H2
     * database in a mode other than {@code REGULAR} (e.g. {@code MODE=PostgreSQL}, which knows no {@code BLOB}).
     * {@link #initialize} runs the scripts in every mode; Flyway runs them as they are.
     */
    public static Optional<String> compatibilityMode(DataSource dataSource, SqlDialect dialect) {
        String query = SchemaStatements.of(dialect, DEFAULT_TABLE_PREFIX).compatibilityMode();
        if (query == null) {
            return Optional.empty();
        }
        String mode = new JdbcTemplate(dataSource).queryForObject(query, String.class);
        return mode == null || mode.equalsIgnoreCase("REGULAR") ? Optional.empty() : Optional.of(mode);
    }

    /** The database's compatibility mode if the store's queries cannot run in it (see {@link #compatibilityMode}). */
    public static Optional<String> unsupportedCompatibilityMode(DataSource dataSource, SqlDialect dialect) {
        return compatibilityMode(dataSource, dialect)
                .filter(mode -> H2_MODES_WITHOUT_LIMIT.contains(mode.toUpperCase(Locale.ROOT)));
    }

    private static int version(String script) {
        Matcher matcher = VERSION.matcher(script);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("Not a versioned axon-dlq script: " + script);
        }
        return Integer.parseInt(matcher.group(1));
    }

    /** The DDL statements of the store, with the prefix filled in. */
    public static List<String> statements(SqlDialect dialect, String tablePrefix) {
        return STORE_SCRIPTS.stream().flatMap(script -> statements(dialect, tablePrefix, script).stream()).toList();
    }

    private static List<String> statements(SqlDialect dialect, String tablePrefix, String scriptName) {
        SchemaStatements sql = SchemaStatements.of(dialect, tablePrefix);
        String script = read(dialect.migrationFolder() + "/" + scriptName).replace(PREFIX_PLACEHOLDER, tablePrefix);
        String withoutComments = script.lines()
                                       .filter(line -> !line.stripLeading().startsWith("--"))
                                       .collect(Collectors.joining("\n"));
        return Arrays.stream(withoutComments.split(";"))
                     .map(String::strip)
                     .filter(s -> !s.isEmpty())
                     .map(sql::ddl)
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
