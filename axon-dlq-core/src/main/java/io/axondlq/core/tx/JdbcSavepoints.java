package io.axondlq.core.tx;

import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * JDBC savepoints on the connection Spring bound to the current transaction for {@code dataSource}: works with
 * {@code DataSourceTransactionManager}, {@code JdbcTransactionManager} and {@code JpaTransactionManager} (flushed JPA
 * writes are undone; unflushed entity state is not, see the README), and therefore with Axon's
 * {@code SpringTransactionManager}.
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
            java.sql.Savepoint savepoint = connection.setSavepoint();
            return new JdbcSavepoint(connection, savepoint);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create a savepoint", e);
        }
    }

    private record JdbcSavepoint(Connection connection, java.sql.Savepoint savepoint) implements Savepoint {

        @Override
        public void rollback() {
            try {
                connection.rollback(savepoint);
            } catch (SQLException e) {
                throw new IllegalStateException("Could not roll back to savepoint", e);
            }
        }

        @Override
        public void release() {
            try {
                connection.releaseSavepoint(savepoint);
            } catch (SQLException e) {
                throw new IllegalStateException("Could not release savepoint", e);
            }
        }
    }
}
