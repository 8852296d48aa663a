package io.axondlq.core.tx;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Runs what reports a change (a metric, a log line) once the Spring transaction that made the change commits, and
 * never when it rolls back (a lost lease marks it rollback-only, a caller's transaction may fail later); without such
 * a transaction, at once: the change is durable already.
 */
public final class AfterCommit {

    private AfterCommit() {
    }

    public static void run(Runnable report) {
        if (TransactionSynchronizationManager.isSynchronizationActive()
                && TransactionSynchronizationManager.isActualTransactionActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    report.run();
                }
            });
        } else {
            report.run();
        }
    }
}
