package io.axondlq.core.tx;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * JDBC savepoints on the connection Spring bound to the current transaction for {@code dataSource}: works with
 * {@code DataSourceTransactionManager} and {@code JdbcTransactionManager}, and therefore with Axon's
 * {@code SpringTransactionManager}. Under {@code JpaTransactionManager} it finds no transaction (the connection it
 * binds is not marked synchronized with the transaction): use {@link JpaAwareSavepoints} there.
 * <p>
 * A failed attempt that left a participating {@code @Transactional} method marks the transaction rollback-only;
 * rolling back to the savepoint undoes its work, so {@link Savepoint#rollback()} removes a mark set after the
 * savepoint was taken.
 * <p>
 * A connection that refuses savepoints (a driver without them, one enlisted in a JTA/XA transaction; see
 * {@link SavepointRefusals}) gives no savepoint ({@code null}, logged once per cause), so the invoker's fallback
 * applies (the processor replays the batch) instead of every batch failing. A connection may take a savepoint and
 * refuse the rollback to it instead (pgjdbc's XA connection up to 42.7.11 checks for "setSavePoint", so it lets
 * savepoints through, but no rollback): that attempt's writes can no longer be undone, so its batch fails and is
 * replayed, and from then on this instance takes no savepoints. A lost connection or an aborted transaction fails
 * the batch, as it always did.
 */
public final class JdbcSavepoints implements Savepoints {

    private static final Logger logger = LoggerFactory.getLogger(JdbcSavepoints.class);

    private final DataSource dataSource;
    private final SavepointRefusals refusals = new SavepointRefusals(logger);
    /**
     * Whether a connection of the data source took a savepoint. Only then is a checkpoint at a transaction's start
     * taken without one: rolling back to it rolls the transaction back, which a connection in an XA transaction
     * refuses (as it refuses savepoints), and by then the attempt's writes could no longer be undone.
     */
    private volatile boolean savepointTaken;
    /** Whether a connection refused to roll back to a savepoint: the transactions are XA ones, take none. */
    private volatile boolean rollbackRefused;

    public JdbcSavepoints(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public Savepoint create() {
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || !(TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder)
                || !holder.isSynchronizedWithTransaction()) {
            return null;
        }
        Connection connection = holder.getConnection();
        try {
            if (connection.getAutoCommit()) {
                return null;
            }
            // Typically a batch's checkpoint at its first event: nothing to keep yet, so no SAVEPOINT round trip.
            if (savepointTaken && !rollbackRefused && TransactionStates.isIdle(connection)) {
                return new JdbcSavepoint(this, holder, connection, null, holder.isRollbackOnly());
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create a savepoint", e);
        }
        return on(holder, connection);
    }

    /** Fails the attempt that left the transaction aborted (a handler that swallowed a database error). */
    @Override
    public void synchronize() {
        if (TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder
                && holder.getConnectionHandle() != null) {
            TransactionStates.failIfAborted(holder.getConnection());
        }
    }

    /**
     * Takes a savepoint on a connection Spring bound to the transaction (also used by {@link JpaAwareSavepoints}).
     *
     * @return null when the connection refuses savepoints, or refused to roll back to one before
     * @throws IllegalStateException when taking it failed otherwise (a lost connection, an aborted transaction)
     */
    Savepoint on(ConnectionHolder holder, Connection connection) {
        if (rollbackRefused) {
            return null;
        }
        boolean rollbackOnly = holder.isRollbackOnly();
        java.sql.Savepoint savepoint;
        try {
            savepoint = connection.setSavepoint();
        } catch (SQLException e) {
            // An aborted transaction fails the batch whatever refused the savepoint: without one the batch would go
            // on, and its later events fail for a reason that is not theirs.
            if (SavepointRefusals.isRefusal(connection, e) && !TransactionStates.isAborted(connection)) {
                refusals.warn("The transaction's connection refused a savepoint", e);
                return null;
            }
            throw new IllegalStateException("Could not create a savepoint", e);
        }
        savepointTaken = true;
        return new JdbcSavepoint(this, holder, connection, savepoint, rollbackOnly);
    }

    /**
     * A savepoint, or (with no {@code savepoint}) the start of a transaction that has run no statement yet (see
     * {@link TransactionStates#isIdle}): rolling back to the start rolls the connection's transaction back, and the
     * next statement begins a new one, which the transaction manager's commit then commits. Spring's transaction stays
     * as it was either way.
     *
     * @param owner learns of a refused rollback
     */
    private record JdbcSavepoint(JdbcSavepoints owner, ConnectionHolder holder, Connection connection,
                                 java.sql.Savepoint savepoint, boolean rollbackOnlyBefore) implements Savepoint {

        @Override
        public void rollback() {
            try {
                if (savepoint == null) {
                    connection.rollback();
                } else {
                    connection.rollback(savepoint);
                }
            } catch (SQLException e) {
                if (SavepointRefusals.isRefusal(connection, e)) {
                    // The attempt's writes stay, so this batch fails and is replayed; the next ones take no
                    // savepoint, and a failure among them is handled by that replay too.
                    owner.rollbackRefused = true;
                    owner.refusals.warn("The transaction's connection refused to roll back to a savepoint", e);
                }
                throw new IllegalStateException("Could not roll back to savepoint", e);
            }
            if (!rollbackOnlyBefore) {
                holder.resetRollbackOnly();
            }
        }

        @Override
        public void release() {
            if (savepoint == null) {
                return;
            }
            try {
                connection.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                throw new IllegalStateException("Could not release savepoint", e);
            }
        }
    }
}
