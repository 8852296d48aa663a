package io.axondlq.core.tx;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.DatabaseTestBase;
import io.axondlq.testsupport.SavepointRefusingDataSource;
import io.axondlq.testsupport.SavepointRefusingDataSource.Refusal;
import io.axondlq.testsupport.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.SQLException;
import java.util.List;
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
        // The data source's connections took a savepoint: a rollback is transaction control they allow (unlike a
        // connection in an XA transaction), so a checkpoint at a transaction's start may be taken without one.
        countedTransaction.executeWithoutResult(status -> countedSavepoints.create().release());
        counting.reset();
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

    // --- connections that refuse savepoints (I4) ------------------------------------------------------------------

    /**
     * A driver without savepoints, or a connection in an XA transaction (pgjdbc's refuses savepoints and rollbacks
     * there): no savepoint, so the invoker falls back to replaying the batch. Taking one threw, which failed every
     * batch of the processor, forever. Logged once per cause; the transaction still commits.
     */
    @ParameterizedTest
    @EnumSource(value = Refusal.class, names = {"NOT_SUPPORTED", "XA_TRANSACTION"})
    void aConnectionThatRefusesSavepointsGivesNone(Refusal refusal) {
        SavepointRefusingDataSource refusing = new SavepointRefusingDataSource(dataSource, refusal);
        JdbcTemplate refusingJdbc = new JdbcTemplate(refusing);
        TransactionTemplate refusingTransaction = new TransactionTemplate(new DataSourceTransactionManager(refusing));
        Savepoints refusingSavepoints = new JdbcSavepoints(refusing);
        String run = UUID.randomUUID().toString();
        List<ILoggingEvent> warnings = logged(JdbcSavepoints.class, () -> refusingTransaction.executeWithoutResult(
                status -> {
                    assertThat(refusingSavepoints.create()).as("at the transaction's start").isNull();
                    refusingJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "kept-" + run);
                    assertThat(refusingSavepoints.create()).as("after a statement").isNull();
                }));
        assertThat(refusing.refused()).isEqualTo(2);
        assertThat(count("kept-" + run)).isEqualTo(1);
        assertThat(warnings).singleElement().satisfies(warning -> {
            assertThat(warning.getLevel()).isEqualTo(Level.WARN);
            assertThat(warning.getFormattedMessage())
                    .contains("refused a savepoint", refusal == Refusal.XA_TRANSACTION
                            ? SavepointRefusingDataSource.XA_MESSAGE : "Savepoints are not supported");
        });
    }

    /**
     * A connection in an XA transaction that takes a savepoint but refuses the rollback to it (pgjdbc up to 42.7.11):
     * that attempt's writes can no longer be undone, so it fails (its batch is replayed); after it there is no
     * savepoint, so the invoker's fallback applies. Before, every replay took a savepoint again, and failed again.
     */
    @Test
    void aRefusedRollbackToASavepointMeansNoSavepointsAfterIt() {
        SavepointRefusingDataSource refusing =
                new SavepointRefusingDataSource(dataSource, Refusal.XA_TRANSACTION_UP_TO_PGJDBC_42_7_11);
        JdbcTemplate refusingJdbc = new JdbcTemplate(refusing);
        TransactionTemplate refusingTransaction = new TransactionTemplate(new DataSourceTransactionManager(refusing));
        Savepoints refusingSavepoints = new JdbcSavepoints(refusing);
        String run = UUID.randomUUID().toString();
        List<ILoggingEvent> warnings = logged(JdbcSavepoints.class, () -> {
            assertThatThrownBy(() -> refusingTransaction.executeWithoutResult(status -> {
                refusingJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "replayed-" + run);
                Savepoints.Savepoint savepoint = refusingSavepoints.create();
                assertThat(savepoint).as("the savepoint passes").isNotNull();
                refusingJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "failed-" + run);
                savepoint.rollback();
            })).isInstanceOf(IllegalStateException.class).hasMessage("Could not roll back to savepoint");
            refusingTransaction.executeWithoutResult(status -> {
                refusingJdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", "replayed-" + run);
                assertThat(refusingSavepoints.create()).as("after the refused rollback").isNull();
            });
        });
        assertThat(count("failed-" + run)).as("rolled back with its batch").isZero();
        assertThat(count("replayed-" + run)).isEqualTo(1);
        assertThat(warnings).singleElement().satisfies(warning -> assertThat(warning.getFormattedMessage())
                .contains("refused to roll back", SavepointRefusingDataSource.XA_MESSAGE_UP_TO_42_7_11));
    }

    /** A lost connection is no refusal: it fails the batch, as before, rather than let it go on without savepoints. */
    @Test
    void aLostConnectionStillFailsTheSavepoint() {
        SavepointRefusingDataSource lost = new SavepointRefusingDataSource(dataSource, Refusal.CONNECTION_LOST);
        Savepoints lostSavepoints = new JdbcSavepoints(lost);
        new TransactionTemplate(new DataSourceTransactionManager(lost)).executeWithoutResult(status -> {
            new JdbcTemplate(lost).queryForObject("SELECT COUNT(*) FROM savepoint_probe", Long.class);
            assertThatThrownBy(lostSavepoints::create).isInstanceOf(IllegalStateException.class)
                                                      .hasCauseInstanceOf(SQLException.class);
        });
    }

    /** The WARN events {@code type}'s logger logs while {@code action} runs. */
    static List<ILoggingEvent> logged(Class<?> type, Runnable action) {
        Logger logger = (Logger) LoggerFactory.getLogger(type);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            action.run();
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
    }

    private void insert(String id) {
        jdbc.update("INSERT INTO savepoint_probe (id) VALUES (?)", id);
    }

    private long count(String id) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM savepoint_probe WHERE id = ?", Long.class, id);
    }
}
