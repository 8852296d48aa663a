package io.axondlq.core.redelivery;

import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * A redelivery was asked for on a thread that is inside a transaction (a Spring transaction, e.g. a
 * {@code @Transactional} method) or an Axon unit of work (an event handler, a command handler). Refused before anything
 * is claimed or written: each letter's unit of work would join that transaction, so a failed letter's writes would
 * not roll back on their own (I3), and a drained sequence would be released on this node before the caller commits,
 * letting later events pass letters that come back if the caller rolls back (I2). Call the redelivery where no
 * transaction is active: from a method that is not transactional, or hand it to another thread.
 */
public class RedeliveryInTransactionException extends IllegalStateException {

    public RedeliveryInTransactionException(String what) {
        super("Redelivery of " + what + " refused: it was called inside "
                      + "an active transaction or Axon unit of work, which every letter's unit of work would join, so "
                      + "that a failed letter's writes would not be rolled back on their own. Call it outside any "
                      + "transaction (not from a @Transactional method, an event handler or a command handler); "
                      + "nothing was claimed or changed");
    }

    /**
     * @param what names the redelivery in the message, e.g. {@code sequence [k] of processing group [g]}
     * @throws RedeliveryInTransactionException when a Spring transaction is active on this thread or an Axon unit of
     *                                          work is started; synchronization without a transaction (propagation
     *                                          SUPPORTS) is fine: each letter then gets a transaction of its own
     */
    public static void requireNone(String what) {
        if (TransactionSynchronizationManager.isActualTransactionActive() || CurrentUnitOfWork.isStarted()) {
            throw new RedeliveryInTransactionException(what);
        }
    }
}
