package io.axondlq.testsupport;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DelegatingDataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * Waits until sessions of the database are blocked on row locks, so that a concurrency test can make an interleaving
 * happen for certain ("B is waiting for A's lock") instead of hoping for it. Polls the database's own view of lock
 * waits; no timing is asserted: a wait that never happens fails the test when its run times out.
 */
public final class LockWaits {

    private LockWaits() {
    }

    /**
     * The data source with lock waits long enough for a loaded test machine: H2 gives up on a lock after 2 seconds by
     * default, which a test that holds a lock on purpose (or a busy CI core) can exceed. PostgreSQL waits forever.
     */
    public static DataSource patient(DataSource dataSource, TestDatabase database) {
        if (database != TestDatabase.H2) {
            return dataSource;
        }
        return new DelegatingDataSource(dataSource) {
            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = super.getConnection();
                try (Statement statement = connection.createStatement()) {
                    statement.execute("SET LOCK_TIMEOUT 60000");
                }
                return connection;
            }
        };
    }

    /** Blocks until at least {@code sessions} sessions wait for a lock held by another session. */
    public static void awaitBlocked(DataSource dataSource, TestDatabase database, int sessions) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        String query = switch (database) {
            case POSTGRES -> "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    + "AND datname = current_database()";
            case H2 -> "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL";
        };
        while (true) {
            Integer blocked = jdbc.queryForObject(query, Integer.class);
            if (blocked != null && blocked >= sessions) {
                return;
            }
            if (Thread.interrupted()) {
                throw new IllegalStateException("Interrupted while waiting for " + sessions + " blocked session(s)");
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + sessions + " blocked session(s)",
                                                e);
            }
        }
    }
}
