package io.axondlq.core.tx;

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
 */
public final class JdbcSavepoints implements Savepoints {

    private final DataSource dataSource;

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
        try {
            Connection connection = holder.getConnection();
            if (connection.getAutoCommit()) {
                return null;
            }
            // Typically a batch's checkpoint at its first event: nothing to keep yet, so no SAVEPOINT round trip.
            return TransactionStates.isIdle(connection)
                    ? new JdbcSavepoint(holder, connection, null, holder.isRollbackOnly())
                    : on(holder, connection);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create a savepoint", e);
        }
    }

    /** Fails the attempt that left the transaction aborted (a handler that swallowed a database error). */
    @Override
    public void synchronize() {
        if (TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder
                && holder.getConnectionHandle() != null) {
            TransactionStates.failIfAborted(holder.getConnection());
        }
    }

    /** Takes a savepoint on a connection Spring bound to the transaction (also used by {@link JpaAwareSavepoints}). */
    static Savepoint on(ConnectionHolder holder, Connection connection) throws SQLException {
        return new JdbcSavepoint(holder, connection, connection.setSavepoint(), holder.isRollbackOnly());
    }

    /**
     * A savepoint, or (with no {@code savepoint}) the start of a transaction that has run no statement yet (see
     * {@link TransactionStates#isIdle}): rolling back to the start rolls the connection's transaction back, and the
     * next statement begins a new one, which the transaction manager's commit then commits. Spring's transaction stays
     * as it was either way.
     */
    private record JdbcSavepoint(ConnectionHolder holder, Connection connection, java.sql.Savepoint savepoint,
                                 boolean rollbackOnlyBefore) implements Savepoint {

        @Override
        public void rollback() {
            try {
                if (savepoint == null) {
                    connection.rollback();
                } else {
                    connection.rollback(savepoint);
                }
            } catch (SQLException e) {
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
