package io.axondlq.core.tx;

import io.axondlq.testsupport.SavepointRefusingDataSource;
import io.axondlq.testsupport.SavepointRefusingDataSource.Refusal;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.UsesDatabase;
import org.junit.jupiter.api.Test;
import org.postgresql.xa.PGXADataSource;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import javax.sql.XAConnection;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@UsesDatabase(TestDatabase.POSTGRES)
class PostgresJdbcSavepointsTest extends JdbcSavepointsTest {

    /**
     * pgjdbc's own XA connection, its branch started as a JTA transaction manager starts it, bound to the thread as
     * Spring binds a connection in a JTA transaction. It refuses the rollback to a savepoint, and from 42.7.13 the
     * savepoint itself (up to 42.7.11 it checks for a method "setSavePoint"). Before, either failed every batch:
     * the savepoint threw, or its rollback did, in every replay. Now the first refusal is the last: after it there is
     * no savepoint, so the invoker's fallback (the processor replays the batch) applies.
     */
    @Test
    void pgjdbcsXaConnectionGivesNoSavepointOnceItRefusedOne() throws Exception {
        PGXADataSource xaDataSource = new PGXADataSource();
        try (Connection plain = dataSource.getConnection()) {
            DatabaseMetaData meta = plain.getMetaData();
            xaDataSource.setUrl(meta.getURL());
            xaDataSource.setUser(meta.getUserName());
        }
        XAConnection xa = xaDataSource.getXAConnection();
        try {
            XAResource resource = xa.getXAResource();
            Xid xid = xid();
            resource.start(xid, XAResource.TMNOFLAGS);
            Connection connection = xa.getConnection();
            assertThat(connection.getAutoCommit()).as("in the XA branch").isFalse();
            assertThatThrownBy(connection::rollback).as("the premise").isInstanceOf(SQLException.class)
                                                     .hasMessageContaining("XA transaction is active");
            SingleConnectionDataSource branch = new SingleConnectionDataSource(connection, true);
            Savepoints xaSavepoints = new JdbcSavepoints(branch);
            TransactionSynchronizationManager.initSynchronization();
            TransactionSynchronizationManager.setActualTransactionActive(true);
            try {
                Connection bound = DataSourceUtils.getConnection(branch); // bound, synchronized with the transaction
                bound.createStatement().execute("SELECT 1");
                Savepoints.Savepoint savepoint = xaSavepoints.create();
                if (savepoint != null) {
                    // pgjdbc up to 42.7.11: the savepoint was taken, the rollback to it is refused.
                    assertThatThrownBy(savepoint::rollback).isInstanceOf(IllegalStateException.class)
                                                           .rootCause().hasMessageContaining("XA transaction");
                }
                assertThat(xaSavepoints.create()).as("after a statement").isNull();
                bound.createStatement().execute("SELECT 1");
                assertThat(xaSavepoints.create()).as("again").isNull();
            } finally {
                TransactionSynchronizationManager.unbindResourceIfPossible(branch);
                TransactionSynchronizationManager.setActualTransactionActive(false);
                TransactionSynchronizationManager.clearSynchronization();
            }
            resource.end(xid, XAResource.TMSUCCESS);
            resource.rollback(xid);
        } finally {
            xa.close();
        }
    }

    /**
     * A connection that took savepoints before, then refuses to roll back a transaction's start (now in an XA
     * transaction): that attempt fails (its batch is replayed), and from then on there is no savepoint (the fallback).
     */
    @Test
    void aRefusedRollbackOfATransactionsStartIsLearned() {
        SavepointRefusingDataSource refusing = new SavepointRefusingDataSource(dataSource, Refusal.XA_TRANSACTION);
        TransactionTemplate transaction = new TransactionTemplate(new DataSourceTransactionManager(refusing));
        JdbcTemplate refusingJdbc = new JdbcTemplate(refusing);
        Savepoints savepoints = new JdbcSavepoints(refusing);
        refusing.refusing(false);
        transaction.executeWithoutResult(status -> savepoints.create().release());

        refusing.refusing(true);
        List<?> warnings = logged(JdbcSavepoints.class, () -> transaction.executeWithoutResult(status -> {
            Savepoints.Savepoint start = savepoints.create();
            assertThat(start).as("a checkpoint at the start, no SAVEPOINT sent").isNotNull();
            refusingJdbc.queryForObject("SELECT 1", Integer.class);
            assertThatThrownBy(start::rollback).isInstanceOf(IllegalStateException.class);
            status.setRollbackOnly();
        }));
        assertThat(warnings).hasSize(1);
        int refusedBefore = refusing.refused();
        transaction.executeWithoutResult(status -> assertThat(savepoints.create()).isNull());
        assertThat(refusing.refused()).as("no SAVEPOINT asked for").isEqualTo(refusedBefore);
    }

    /** An aborted transaction is no refusal: it fails the batch, as before, so no event fails for its sake. */
    @Test
    void anAbortedTransactionStillFailsTheSavepoint() {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        Savepoints savepoints = new JdbcSavepoints(dataSource);
        new TransactionTemplate(new DataSourceTransactionManager(dataSource)).executeWithoutResult(status -> {
            assertThatThrownBy(() -> jdbc.execute("SELECT * FROM no_such_table"))
                    .isInstanceOf(DataAccessException.class);
            assertThatThrownBy(savepoints::create)
                    .isInstanceOf(IllegalStateException.class).cause()
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState())
                            .as("in_failed_sql_transaction").isEqualTo("25P02"));
            status.setRollbackOnly();
        });
    }

    private static Xid xid() {
        byte[] global = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);
        return new Xid() {
            @Override
            public int getFormatId() {
                return 4660;
            }

            @Override
            public byte[] getGlobalTransactionId() {
                return global;
            }

            @Override
            public byte[] getBranchQualifier() {
                return new byte[]{1};
            }
        };
    }
}
