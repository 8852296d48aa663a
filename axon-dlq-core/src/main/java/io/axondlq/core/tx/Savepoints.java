package io.axondlq.core.tx;

/**
 * Savepoints in the transaction the current thread's processor batch runs in. A failed handler attempt rolls back to
 * its savepoint, undoing exactly its own writes (and clearing PostgreSQL's "transaction is aborted" state), while
 * the rest of the batch stays intact. Implementations keep in-memory transactional state consistent with the database
 * at the savepoint ({@link JpaAwareSavepoints} flushes the persistence context before a savepoint and clears it on a
 * rollback), so that handlers may run again after a savepoint that was rolled back to.
 */
public interface Savepoints {

    /**
     * @return a savepoint, or null when the current thread has no transaction that supports savepoints (none, or one
     * whose connection refuses them, such as a JTA/XA transaction's; the invoker then falls back to rethrowing so the
     * processor rolls back and retries the whole batch, unless it knows the processor has no transaction at all, in
     * which case it retries in place)
     */
    Savepoint create();

    /**
     * Sends the writes the current transaction still holds in memory to the database, so that a failure they cause
     * (a constraint violation a JPA provider reports only when flushing) surfaces in the handler attempt that made
     * them, not at the batch's commit. Called after each successful attempt that no {@link Savepoint#release()}
     * follows. The JDBC implementations also fail the attempt ({@link TransactionAbortedException}) when it left the
     * transaction aborted: a handler that caught a database error on PostgreSQL.
     */
    default void synchronize() {
    }

    /**
     * A savepoint. It may be rolled back to any number of times (each rollback keeps it, and work may run after it
     * again); release it at most once, after which it is gone.
     */
    interface Savepoint {

        void rollback();

        void release();
    }

    /**
     * No savepoints: in a transactional processor every failure is rethrown and the batch replayed; in one without
     * a transaction manager every attempt runs unprotected.
     */
    Savepoints NONE = () -> null;
}
