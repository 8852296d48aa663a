package io.axondlq.core.tx;

import org.slf4j.Logger;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransactionRollbackException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells a connection that refuses savepoints (or the rollback to one) from one that failed. A connection enlisted in
 * a JTA (XA) transaction refuses transaction control: pgjdbc's XA connection throws "Transaction control methods
 * setAutoCommit, commit, rollback and setSavepoint are not allowed while an XA transaction is active" (SQLState
 * 55000; up to 42.7.11 it lets savepoints through and refuses the rollback), and a driver without savepoints throws
 * {@link SQLFeatureNotSupportedException}. Such a transaction simply has no savepoints: the
 * invoker then falls back to rethrowing, so the processor rolls back and replays the batch. A lost connection or an
 * aborted transaction is a failure of the batch instead and stays one: answering "no savepoint" there would let the
 * batch go on, and its events fail for a reason that is not theirs.
 * <p>
 * Each refusal is logged once per cause (exception class, SQLState and message) at WARN.
 */
final class SavepointRefusals {

    /** Bounds the causes remembered: they are few in practice, and a log line more is harmless. */
    private static final int MAX_LOGGED_CAUSES = 64;

    private final Logger logger;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    SavepointRefusals(Logger logger) {
        this.logger = logger;
    }

    /**
     * Whether {@code failure}, thrown by transaction control on {@code connection}, says it refuses it. Whether the
     * transaction is aborted besides is the caller's question: a savepoint must not be skipped in one.
     */
    static boolean isRefusal(Connection connection, SQLException failure) {
        if (failure instanceof SQLFeatureNotSupportedException) {
            return true;
        }
        if (failure instanceof SQLRecoverableException || failure instanceof SQLNonTransientConnectionException
                || failure instanceof SQLTransientConnectionException
                || failure instanceof SQLTransactionRollbackException) {
            return false;
        }
        String state = failure.getSQLState();
        // 08: connection exception, 40: transaction rollback, 57: operator intervention (e.g. admin shutdown),
        // 25P02: PostgreSQL's "current transaction is aborted".
        if (state != null && (state.startsWith("08") || state.startsWith("40") || state.startsWith("57")
                || state.equals("25P02"))) {
            return false;
        }
        try {
            return !connection.isClosed();
        } catch (SQLException e) {
            return false;
        }
    }

    /** Logs the refusal at WARN, once per cause. */
    void warn(String what, SQLException cause) {
        warn(what, cause.getClass().getName() + " (SQLState " + cause.getSQLState() + "): " + cause.getMessage());
    }

    /** Logs the refusal at WARN, once per {@code what} and {@code cause}. */
    void warn(String what, String cause) {
        if (logged.size() < MAX_LOGGED_CAUSES && logged.add(what + "|" + cause)) {
            logger.warn("{}: no savepoints in this transaction. A failed event is handled by rolling back and "
                                + "replaying the processor's batch instead (the dead-letter fallback without "
                                + "savepoints). Logged once per cause: {}", what, cause);
        }
    }
}
