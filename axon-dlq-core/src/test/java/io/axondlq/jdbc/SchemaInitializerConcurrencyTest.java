package io.axondlq.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.LegacySchema;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@link SchemaInitializer} among other nodes: a restart next to running processors, nodes of a cluster starting at
 * once on a fresh database, a needed migration behind a long transaction. Interleavings are made to happen (an open
 * transaction, a barrier inside every initializer) and observed in the database's own views of locks and lock waits;
 * no timing is asserted.
 */
class SchemaInitializerConcurrencyTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;
    /** Every script {@code initialize-schema=always} applies: the store's and the operations tables. */
    private static final List<String> ALL_SCRIPTS = allScripts();
    /** Lock modes that conflict with a running processor batch (reads, inserts): DDL's and CREATE INDEX's. */
    private static final Set<String> DDL_LOCK_MODES = Set.of("AccessExclusiveLock", "ExclusiveLock",
                                                             "ShareRowExclusiveLock", "ShareLock");

    private final ExecutorService executor = Executors.newCachedThreadPool();

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    /**
     * A rolling restart: every script is applied, and a processor batch on another node is open (it read the sequence
     * and letter tables and parked an event, uncommitted). The restarting node's initializer runs no DDL, requests no
     * lock that conflicts with the batch, and a third node's read of those tables is not queued behind it.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aRestartOnAnUpToDateSchemaDoesNotWaitForAnOpenBatchNorHoldUpReaders(TestDatabase kind) throws Exception {
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            SqlDialect dialect = SqlDialect.detect(db.dataSource());
            SchemaInitializer.initialize(db.dataSource(), dialect, PREFIX);
            SchemaInitializer.initialize(db.dataSource(), dialect, PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());

            try (Connection batch = db.dataSource().getConnection()) {
                batch.setAutoCommit(false);
                String parked = openBatch(batch);
                assertThat(visibleLetters(jdbc, parked)).as("the batch is uncommitted").isZero();

                Set<Integer> initializerSessions = ConcurrentHashMap.newKeySet();
                CountingDataSource initializerStatements =
                        new CountingDataSource(sessionRecording(db.dataSource(), kind, initializerSessions));
                Set<String> requestedModes = ConcurrentHashMap.newKeySet();
                Future<?> restart = executor.submit(() -> {
                    SchemaInitializer.initialize(initializerStatements, dialect, PREFIX);
                    SchemaInitializer.initialize(initializerStatements, dialect, PREFIX,
                                                 SchemaInitializer.OPERATIONS_SCRIPT);
                    return null;
                });
                awaitWithoutLockWaits(restart, jdbc, kind, initializerSessions, requestedModes);

                assertThat(requestedModes).as("lock modes the initializer requested on PostgreSQL")
                                          .doesNotContainAnyElementsOf(DDL_LOCK_MODES);
                assertThat(initializerStatements.executions()).as("statements of the restart")
                        .isNotEmpty()
                        .allSatisfy(execution -> assertThat(execution.sql().stripLeading().toUpperCase())
                                .as("reads only").startsWith("SELECT"));
                assertThat(batchStillOpen(batch, jdbc, parked, kind)).as("the batch stayed open throughout").isTrue();

                // A third node reads both tables while the batch is still open.
                Future<Integer> reader = executor.submit(() -> jdbc.queryForObject(
                        "SELECT (SELECT COUNT(*) FROM " + PREFIX + "sequence) + (SELECT COUNT(*) FROM " + PREFIX
                                + "letter)", Integer.class));
                awaitWithoutLockWaits(reader, jdbc, kind, Set.of(), requestedModes);
                assertThat(reader.get()).as("the batch's rows are not visible yet").isZero();
                assertThat(batchStillOpen(batch, jdbc, parked, kind)).isTrue();
                batch.rollback();
            }
        }
    }

    /**
     * Several nodes start at once on an empty database: every initializer is inside its run (it holds a connection)
     * before any of them runs a statement. All succeed, the schema is complete and every script is recorded once.
     * Several rounds, each on a fresh database.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void nodesStartingAtOnceOnAnEmptyDatabaseAllSucceed(TestDatabase kind) throws Exception {
        int nodes = 6;
        int rounds = kind == TestDatabase.POSTGRES ? 4 : 8;
        for (int round = 0; round < rounds; round++) {
            try (FreshDatabase db = TestDatabases.fresh(kind)) {
                SqlDialect dialect = SqlDialect.detect(db.dataSource());
                CyclicBarrier allInside = new CyclicBarrier(nodes);
                List<HikariDataSource> pools = new ArrayList<>();
                List<Future<?>> starts = new ArrayList<>();
                try {
                    for (int node = 0; node < nodes; node++) {
                        HikariDataSource pool = nodePool(db, node);
                        pools.add(pool);
                        DataSource inside = meetingAtFirstConnection(pool, allInside);
                        starts.add(executor.submit(() -> {
                            SchemaInitializer.initialize(inside, dialect, PREFIX);
                            SchemaInitializer.initialize(inside, dialect, PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);
                            return null;
                        }));
                    }
                    List<String> failures = new ArrayList<>();
                    for (Future<?> start : starts) {
                        try {
                            start.get(2, TimeUnit.MINUTES);
                        } catch (ExecutionException e) {
                            failures.add(e.getCause().toString());
                        }
                    }
                    assertThat(failures).as("round %d: failed starts", round).isEmpty();
                } finally {
                    pools.forEach(HikariDataSource::close);
                }
                assertCompleteSchema(new JdbcTemplate(db.dataSource()));
            }
        }
    }

    /**
     * A needed migration blocked by a long transaction: a schema an earlier version created (V1 to V5, nothing
     * recorded) is taken over while a processor batch on another node is open. The initializer waits for its lock no
     * longer than its lock wait, then fails with a message naming the cause and the way out; nothing is applied. Once
     * the batch is done the next start applies everything.
     */
    @Test
    void aMigrationBlockedByALongTransactionFailsTheStartAfterTheLockWait() throws Exception {
        TestDatabase kind = TestDatabase.POSTGRES;
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            LegacySchema.apply(db.dataSource(), kind, "V1__axon_dlq_schema.sql", "V3__axon_dlq_sequence_keys.sql",
                               "V4__axon_dlq_letter_per_event.sql", "V5__axon_dlq_enqueued_index.sql");
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            try (Connection batch = db.dataSource().getConnection()) {
                batch.setAutoCommit(false);
                String parked = openBatch(batch);

                Set<Integer> initializerSessions = ConcurrentHashMap.newKeySet();
                DataSource node = sessionRecording(db.dataSource(), kind, initializerSessions);
                Future<?> start = executor.submit(() -> {
                    SchemaInitializer.initialize(node, SqlDialect.POSTGRESQL, PREFIX);
                    return null;
                });
                awaitInitializerWaiting(jdbc, initializerSessions, start);
                try {
                    start.get(60, TimeUnit.SECONDS);
                    fail("the start succeeded behind an open batch");
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("V1__axon_dlq_schema.sql")
                            .hasMessageContaining("lock")
                            .hasMessageContaining("initialize-schema=flyway")
                            .hasMessageContaining("maintenance window");
                }
                assertThat(batchStillOpen(batch, jdbc, parked, kind)).as("the batch stayed open throughout").isTrue();
                assertThat(columnExists(jdbc, "sequence", "touched_at")).as("V6 is not applied").isFalse();
                assertThat(tableExists(jdbc, PREFIX + "schema_version")).as("nothing is recorded").isFalse();
                batch.rollback();
            }

            SchemaInitializer.initialize(db.dataSource(), SqlDialect.POSTGRESQL, PREFIX);
            assertThat(columnExists(jdbc, "sequence", "touched_at")).isTrue();
            assertThat(jdbc.queryForList("SELECT script FROM " + PREFIX + "schema_version", String.class))
                    .containsExactlyInAnyOrderElementsOf(SchemaInitializer.STORE_SCRIPTS);
        }
    }

    /**
     * The same on H2: the migration's table lock is waited for no longer than the database's lock timeout (H2's own
     * {@code LOCK_TIMEOUT}), then the start fails naming the script and the cause. The preemptive timeout only tells
     * a bounded wait from a hang.
     */
    @Test
    void aMigrationBlockedByALongTransactionFailsTheStartAfterH2sLockTimeout() throws Exception {
        TestDatabase kind = TestDatabase.H2;
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            LegacySchema.apply(db.dataSource(), kind, "V1__axon_dlq_schema.sql", "V3__axon_dlq_sequence_keys.sql",
                               "V4__axon_dlq_letter_per_event.sql", "V5__axon_dlq_enqueued_index.sql");
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            try (Connection batch = db.dataSource().getConnection()) {
                batch.setAutoCommit(false);
                String parked = openBatch(batch);

                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> assertThatThrownBy(
                        () -> SchemaInitializer.initialize(db.dataSource(), SqlDialect.H2, PREFIX))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("lock")
                        .hasMessageContaining("initialize-schema=flyway")
                        .hasMessageContaining("maintenance window"));
                assertThat(batchStillOpen(batch, jdbc, parked, kind)).as("the batch stayed open throughout").isTrue();
                batch.rollback();
            }

            SchemaInitializer.initialize(db.dataSource(), SqlDialect.H2, PREFIX);
            assertThat(columnExists(jdbc, "sequence", "touched_at")).isTrue();
            assertThat(jdbc.queryForList("SELECT script FROM " + PREFIX + "schema_version", String.class))
                    .containsExactlyInAnyOrderElementsOf(SchemaInitializer.STORE_SCRIPTS);
        }
    }

    /**
     * A peer that hangs mid-run: another session holds the schema's advisory lock (same key) in an open transaction.
     * The start waits for it no longer than its lock wait, then fails naming the lock and the way out, and changes
     * nothing; once the lock is released the next start applies everything. The preemptive timeout, several times the
     * wait, only tells a bounded wait from a hang (before, the start blocked until the holder ended).
     */
    @Test
    void aStartWaitsForAHeldSchemaLockNoLongerThanItsLockWait() throws Exception {
        TestDatabase kind = TestDatabase.POSTGRES;
        Duration lockWait = Duration.ofSeconds(1);
        SchemaStatements sql = SchemaStatements.of(SqlDialect.POSTGRESQL, PREFIX);
        try (FreshDatabase db = TestDatabases.fresh(kind)) {
            JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
            try (Connection peer = db.dataSource().getConnection()) {
                peer.setAutoCommit(false);
                try (PreparedStatement lock = peer.prepareStatement(sql.lockSchema())) {
                    lock.setLong(1, sql.lockKey());
                    lock.execute();
                }
                try {
                    assertTimeoutPreemptively(lockWait.multipliedBy(20), () -> assertThatThrownBy(
                            () -> SchemaInitializer.initialize(db.dataSource(), SqlDialect.POSTGRESQL, PREFIX,
                                                               SchemaInitializer.STORE_SCRIPTS, lockWait))
                            .isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("schema lock")
                            .hasMessageContaining("advisory lock " + sql.lockKey())
                            .hasMessageContaining("longer than 1000 ms")
                            .hasMessageContaining("Nothing was changed")
                            .hasMessageContaining("pg_locks"));
                } finally {
                    peer.rollback();
                }
            }
            assertThat(tableExists(jdbc, PREFIX + "schema_version")).as("nothing is recorded").isFalse();
            assertThat(tableExists(jdbc, PREFIX + "sequence")).as("nothing is created").isFalse();

            SchemaInitializer.initialize(db.dataSource(), SqlDialect.POSTGRESQL, PREFIX);
            assertThat(jdbc.queryForList("SELECT script FROM " + PREFIX + "schema_version", String.class))
                    .containsExactlyInAnyOrderElementsOf(SchemaInitializer.STORE_SCRIPTS);
        }
    }

    // --- a processor batch --------------------------------------------------------------------------------------

    /** Reads the sequence and letter tables and parks an event (sequence row and letter), uncommitted. */
    private static String openBatch(Connection batch) throws SQLException {
        String key = "parked-" + UUID.randomUUID();
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try (Statement statement = batch.createStatement()) {
            statement.executeQuery("SELECT COUNT(*) FROM " + PREFIX + "sequence").close();
            statement.executeQuery("SELECT COUNT(*) FROM " + PREFIX + "letter").close();
        }
        try (PreparedStatement sequence = batch.prepareStatement(
                "INSERT INTO " + PREFIX + "sequence (processing_group, sequence_key, segment_key, letter_count, "
                        + "last_index, oldest_enqueued_at, last_touched) VALUES ('g', ?, 0, 1, 0, ?, ?)")) {
            sequence.setString(1, key);
            sequence.setObject(2, now);
            sequence.setObject(3, now);
            sequence.executeUpdate();
        }
        try (PreparedStatement letter = batch.prepareStatement(
                "INSERT INTO " + PREFIX + "letter (letter_id, processing_group, sequence_key, sequence_index, "
                        + "event_identifier, message_type, payload_type, payload, event_timestamp, enqueued_at, "
                        + "last_touched, attempts, parked) VALUES (?, 'g', ?, 0, ?, 'event', 'Thing', ?, ?, ?, ?, 0, "
                        + "FALSE)")) {
            letter.setObject(1, UUID.randomUUID());
            letter.setString(2, key);
            letter.setString(3, "event-" + key);
            letter.setBytes(4, new byte[]{1});
            letter.setObject(5, now);
            letter.setObject(6, now);
            letter.setObject(7, now);
            letter.executeUpdate();
        }
        return key;
    }

    private static int visibleLetters(JdbcTemplate jdbc, String key) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "letter WHERE sequence_key = ?", Integer.class,
                                   key);
    }

    /**
     * The batch's transaction is still open: it sees its own letter, nobody else does; on PostgreSQL it still holds
     * its locks on both tables.
     */
    private static boolean batchStillOpen(Connection batch, JdbcTemplate jdbc, String key, TestDatabase kind)
            throws SQLException {
        try (PreparedStatement own = batch.prepareStatement(
                "SELECT COUNT(*) FROM " + PREFIX + "letter WHERE sequence_key = ?")) {
            own.setString(1, key);
            try (ResultSet rows = own.executeQuery()) {
                rows.next();
                if (rows.getInt(1) != 1 || visibleLetters(jdbc, key) != 0) {
                    return false;
                }
            }
        }
        if (kind != TestDatabase.POSTGRES) {
            return true;
        }
        int pid;
        try (Statement statement = batch.createStatement();
             ResultSet rows = statement.executeQuery("SELECT pg_backend_pid()")) {
            rows.next();
            pid = rows.getInt(1);
        }
        return jdbc.queryForObject("SELECT COUNT(*) FROM pg_locks WHERE pid = ? AND granted AND mode = "
                                           + "'RowExclusiveLock' AND relation IN ('" + PREFIX + "sequence'::regclass, '"
                                           + PREFIX + "letter'::regclass)", Integer.class, pid) == 2;
    }

    // --- observing lock waits -----------------------------------------------------------------------------------

    /**
     * Waits for {@code work} to finish, failing as soon as any session of the database waits for a lock (the work's
     * statement queued behind the open batch, or a reader queued behind the work). On PostgreSQL it also collects the
     * lock modes the sessions in {@code watched} hold or request meanwhile.
     */
    private static void awaitWithoutLockWaits(Future<?> work, JdbcTemplate jdbc, TestDatabase kind, Set<Integer> watched,
                                              Set<String> requestedModes) throws Exception {
        while (!work.isDone()) {
            if (kind == TestDatabase.POSTGRES) {
                for (Integer pid : watched) {
                    requestedModes.addAll(jdbc.queryForList(
                            "SELECT mode FROM pg_locks WHERE pid = ? AND locktype = 'relation'", String.class, pid));
                }
                List<String> waits = jdbc.queryForList(
                        "SELECT l.mode || ' on ' || COALESCE(l.relation::regclass::text, l.locktype) || ' by ' || "
                                + "a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted "
                                + "AND a.datname = current_database()", String.class);
                if (!waits.isEmpty()) {
                    work.cancel(true);
                    fail("a session waits for a lock: " + waits);
                }
            } else {
                List<String> waits = jdbc.queryForList("SELECT EXECUTING_STATEMENT FROM INFORMATION_SCHEMA.SESSIONS "
                                                               + "WHERE BLOCKER_ID IS NOT NULL", String.class);
                if (!waits.isEmpty()) {
                    work.cancel(true);
                    fail("a session waits for a lock: " + waits);
                }
            }
            Thread.sleep(2);
        }
        work.get();
    }

    /** Blocks until one of the initializer's sessions waits for a lock on the sequence table (it may fail first). */
    private static void awaitInitializerWaiting(JdbcTemplate jdbc, Set<Integer> sessions, Future<?> start)
            throws InterruptedException {
        while (true) {
            for (Integer pid : sessions) {
                Integer waiting = jdbc.queryForObject(
                        "SELECT COUNT(*) FROM pg_locks WHERE pid = ? AND NOT granted AND relation = '" + PREFIX
                                + "sequence'::regclass", Integer.class, pid);
                if (waiting > 0) {
                    return;
                }
            }
            if (start.isDone()) {
                fail("the start ended without waiting for the batch's lock");
            }
            Thread.sleep(2);
        }
    }

    /** Records the backend of every connection handed out (PostgreSQL), to find its locks in pg_locks. */
    private static DataSource sessionRecording(DataSource dataSource, TestDatabase kind, Set<Integer> sessions) {
        return new DelegatingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = super.getConnection();
                if (kind == TestDatabase.POSTGRES) {
                    try (Statement statement = connection.createStatement();
                         ResultSet rows = statement.executeQuery("SELECT pg_backend_pid()")) {
                        rows.next();
                        sessions.add(rows.getInt(1));
                    }
                }
                return connection;
            }
        };
    }

    // --- nodes --------------------------------------------------------------------------------------------------

    /** A node's own pool on the database. */
    private static HikariDataSource nodePool(FreshDatabase db, int node) {
        HikariConfig config = new HikariConfig();
        db.dataSource().copyStateTo(config);
        config.setPoolName(config.getPoolName() + "-node-" + node);
        config.setMaximumPoolSize(2);
        config.setMinimumIdle(0);
        return new HikariDataSource(config);
    }

    /** The first connection waits, once it is open, until every node holds its first connection. */
    private static DataSource meetingAtFirstConnection(DataSource dataSource, CyclicBarrier barrier) {
        AtomicBoolean met = new AtomicBoolean();
        return new DelegatingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = super.getConnection();
                if (met.compareAndSet(false, true)) {
                    try {
                        barrier.await(1, TimeUnit.MINUTES);
                    } catch (Exception e) {
                        connection.close();
                        throw new IllegalStateException("the nodes did not all start", e);
                    }
                }
                return connection;
            }
        };
    }

    // --- the schema ---------------------------------------------------------------------------------------------

    private static void assertCompleteSchema(JdbcTemplate jdbc) {
        for (String table : List.of("sequence", "letter", "attempt", "group_lock", "retry_job", "retry_job_sequence",
                                    "audit", "scheduler_lease", "auto_retry")) {
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + table, Integer.class)).as(table).isZero();
        }
        assertThat(columnExists(jdbc, "sequence", "full_key")).isTrue();
        assertThat(columnExists(jdbc, "sequence", "touched_at")).isTrue();
        assertThat(columnExists(jdbc, "letter", "event_digest")).isTrue();
        assertThat(jdbc.queryForList("SELECT script FROM " + PREFIX + "schema_version", String.class))
                .as("every script recorded once").containsExactlyInAnyOrderElementsOf(ALL_SCRIPTS);
    }

    private static boolean columnExists(JdbcTemplate jdbc, String table, String column) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.columns WHERE LOWER(table_name) = ? "
                                           + "AND LOWER(column_name) = ?", Integer.class, PREFIX + table, column) > 0;
    }

    private static boolean tableExists(JdbcTemplate jdbc, String table) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_name) = ?",
                                   Integer.class, table) > 0;
    }

    private static List<String> allScripts() {
        List<String> scripts = new ArrayList<>(SchemaInitializer.STORE_SCRIPTS);
        scripts.add(SchemaInitializer.OPERATIONS_SCRIPT);
        return scripts;
    }
}
