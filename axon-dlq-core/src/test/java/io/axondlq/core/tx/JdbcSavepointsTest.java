package io.axondlq.core.tx;

import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.DatabaseTestBase;
import io.axondlq.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link JdbcSavepoints} under a {@code DataSourceTransactionManager}: a failed attempt that left a participating
 * transactional method (which marks the whole transaction rollback-only) is undone by rolling back to its savepoint,
 * and the transaction still commits what came before it. Subclasses pick the database.
 */
abstract class JdbcSavepointsTest extends DatabaseTestBase {

    private JdbcTemplate jdbc;
    private TransactionTemplate transaction;
    private Savepoints savepoints;

    @BeforeEach
    void setUp() {
        jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS savepoint_probe (id VARCHAR(64) NOT NULL)");
        transaction = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        savepoints = new JdbcSavepoints(dataSource);
    }

    @Test
    void noSavepointOutsideATransaction() {
        assertThat(savepoints.create()).isNull();
    }

    @Test
    void rollingBackToTheSavepointLiftsTheRollbackOnlyMarkOfTheFailedAttempt() {
        String run = UUID.randomUUID().toString();
        transaction.executeWithoutResult(status -> {
            insert("before-" + run);
            Savepoints.Savepoint savepoint = savepoints.create();
            assertThat(savepoint).isNotNull();
            // A handler calling a @Transactional method that fails: Spring marks the shared transaction.
            assertThatThrownBy(() -> transaction.executeWithoutResult(inner -> {
                insert("failed-" + run);
                throw new IllegalStateException("handler failure");
            })).isInstanceOf(IllegalStateException.class);
            assertThat(status.isRollbackOnly()).as("marked by the participating method").isTrue();
            savepoint.rollback();
            assertThat(status.isRollbackOnly()).as("after rolling back to the savepoint").isFalse();
            insert("after-" + run);
        });
        assertThat(count("before-" + run)).isEqualTo(1);
        assertThat(count("failed-" + run)).isZero();
        assertThat(count("after-" + run)).isEqualTo(1);
    }

    @Test
    void aMarkSetBeforeTheSavepointStays() {
        String run = UUID.randomUUID().toString();
        assertThatThrownBy(() -> transaction.executeWithoutResult(status -> {
            insert("doomed-" + run);
            assertThatThrownBy(() -> transaction.executeWithoutResult(inner -> {
                throw new IllegalStateException("failure before the savepoint");
            })).isInstanceOf(IllegalStateException.class);
            Savepoints.Savepoint savepoint = savepoints.create();
            savepoint.rollback();
            assertThat(status.isRollbackOnly()).isTrue();
        })).isInstanceOf(UnexpectedRollbackException.class);
        assertThat(count("doomed-" + run)).isZero();
    }

    /**
     * A batch's checkpoint is usually taken before its transaction ran any statement. On PostgreSQL the driver
     * knows, so no SAVEPOINT is sent: rolling back to it rolls the transaction back, the next statement begins a new
     * one, and the commit commits that. Same outcome as a real savepoint (H2, which always takes one).
     */
    @Test
    void aSavepointAtTheTransactionsStartUndoesEverythingAfterItAndTheCommitKeepsWhatFollows() {
        CountingDataSource counting = new CountingDataSource(dataSource);
        JdbcTemplate countedJdbc = new JdbcTemplate(counting);
        TransactionTemplate countedTransaction = new TransactionTemplate(new DataSourceTransactionManager(counting));
        Savepoints countedSavepoints = new JdbcSavepoints(counting);
        String run = UUID.randomUUID().toString();
        countedTransaction.executeWithoutResult(status -> {
            Savepoints.Savepoint start = countedSavepoints.create();
            assertThat(start).isNotNull();
            assertThat(counting.savepoints()).as("SAVEPOINTs sent for a checkpoint at the start")
                                             .isEqualTo(testDatabase == TestDatabase.POSTGRES ? 0 : 1);
            countedJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "first-try-" + run);
            assertThatThrownBy(() -> countedTransaction.executeWithoutResult(inner -> {
                countedJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "failed-" + run);
                throw new IllegalStateException("handler failure");
            })).isInstanceOf(IllegalStateException.class);
            start.rollback();
            assertThat(status.isRollbackOnly()).as("after rolling back to the start").isFalse();
            countedJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "second-try-" + run);
            // Rolled back to again (a re-run that fails too), then used once more.
            start.rollback();
            countedJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "third-try-" + run);

            // Once a statement ran, a savepoint is a real one everywhere.
            int before = counting.savepoints();
            Savepoints.Savepoint later = countedSavepoints.create();
            assertThat(counting.savepoints()).isEqualTo(before + 1);
            countedJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "undone-" + run);
            later.rollback();
            start.release();
        });
        assertThat(count("first-try-" + run)).isZero();
        assertThat(count("failed-" + run)).isZero();
        assertThat(count("second-try-" + run)).isZero();
        assertThat(count("third-try-" + run)).isEqualTo(1);
        assertThat(count("undone-" + run)).isZero();
    }

    private void insert(String id) {
        jdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", id);
    }

    private long count(String id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM savepoint_probe WHERE id = ?", Long.class, id);
    }
}
