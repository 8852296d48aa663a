package io.axondlq.core.tx;

import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.EntityTransaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.orm.jpa.EntityManagerHolder;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Savepoints that also work under Spring's {@code JpaTransactionManager} (and still under
 * {@code DataSourceTransactionManager}/{@code JdbcTransactionManager}, see {@link JdbcSavepoints}).
 * <p>
 * When the current transaction is a JPA transaction of {@code entityManagerFactory} (Spring bound an
 * {@link EntityManagerHolder} for it with an active transaction), the savepoint is taken on the JDBC connection of
 * that transaction, which {@code JpaTransactionManager} exposes as a {@link ConnectionHolder} for its
 * {@code DataSource}. A JDBC savepoint alone does not cover what a persistence context holds in memory, so:
 * <ul>
 * <li>{@link #create()} <b>flushes</b> the transaction's {@link EntityManager} first, so that every change made
 * before the savepoint is in the database and survives a rollback to it;</li>
 * <li>{@link Savepoint#rollback()} rolls back to the savepoint and <b>clears</b> the persistence context: the
 * failed attempt's managed and dirty entities are detached (they would otherwise be flushed at commit); entities
 * that later handlers need are read again from the database, which holds exactly the state at the savepoint;</li>
 * <li>{@link Savepoint#release()} <b>flushes</b> before releasing, so that a write that fails only when flushed
 * (a constraint violation, say) fails inside the attempt that made it and is undone with it, rather than
 * failing a later event or the commit.</li>
 * </ul>
 * A savepoint may be rolled back to and then used again by running several handlers after it (a batch checkpoint):
 * after the rollback the database and the (empty) persistence context agree with the state at the savepoint. The
 * clear also detaches the entities of other handlers of the batch: a handler that keeps an entity instance from one
 * event to the next must re-read it. Each flush dirty-checks the whole persistence context, which grows over a batch
 * until a rollback clears it.
 * <p>
 * A failed attempt may mark the transaction rollback-only (Hibernate does so for most {@code PersistenceException}s,
 * Spring for an exception leaving a participating {@code @Transactional} method, such as a Spring Data repository
 * method). The rollback to the savepoint has undone what that mark protects against, so {@link Savepoint#rollback()}
 * removes a mark set after the savepoint was taken; otherwise the batch's commit would fail. JPA has no API for the
 * entity transaction's mark: see {@code EntityTransactionRollbackOnly} (Hibernate).
 * <p>
 * A JTA entity manager (one that refuses {@code getTransaction()}) gives no savepoint ({@code null}, logged once), so
 * the invoker's fallback applies (the processor replays the batch): a JDBC savepoint would not cover its persistence
 * context, and a connection enlisted in an XA transaction refuses savepoints anyway. So does a connection that refuses
 * a savepoint, or refused to roll back to one before (see {@link JdbcSavepoints}).
 * <p>
 * Requires {@code spring-orm} and {@code jakarta.persistence-api} (optional dependencies of axon-dlq core).
 */
public final class JpaAwareSavepoints implements Savepoints {

    private static final Logger logger = LoggerFactory.getLogger(JpaAwareSavepoints.class);

    private final SavepointRefusals refusals = new SavepointRefusals(logger);
    private final DataSource dataSource;
    private final EntityManagerFactory entityManagerFactory;
    private final JdbcSavepoints jdbcSavepoints;

    /**
     * @param dataSource           the data source of the processor's transaction (and of the dead-letter store)
     * @param entityManagerFactory the factory whose {@code JpaTransactionManager} runs the processor's transactions
     */
    public JpaAwareSavepoints(DataSource dataSource, EntityManagerFactory entityManagerFactory) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.entityManagerFactory = Objects.requireNonNull(entityManagerFactory, "entityManagerFactory");
        this.jdbcSavepoints = new JdbcSavepoints(dataSource);
    }

    /**
     * Flushes the transaction's entity manager, if the current transaction is a JPA transaction, then takes a
     * savepoint on the transaction's connection.
     *
     * @return a savepoint, or null when the current thread has no transaction that supports savepoints (its entity
     * manager is a JTA one, or its connection refuses savepoints), or when it is already marked rollback-only
     * (nothing done after a savepoint could then commit)
     */
    @Override
    public Savepoint create() {
        EntityManager bound = boundEntityManager();
        if (bound != null && isJta(bound)) {
            refusals.warn("The processor's transaction is a JTA transaction",
                          "a JDBC savepoint would not cover the JTA entity manager's persistence context");
            return null;
        }
        EntityManager entityManager = bound != null && bound.getTransaction().isActive() ? bound : null;
        if (entityManager == null) {
            return jdbcSavepoints.create();
        }
        // JpaTransactionManager binds this holder without marking it synchronized with the transaction, which is
        // why JdbcSavepoints alone finds no transaction here.
        if (!(TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder)) {
            return null;
        }
        EntityTransaction transaction = entityManager.getTransaction();
        if (transaction.getRollbackOnly() || holder.isRollbackOnly()) {
            return null;
        }
        Connection connection = holder.getConnection();
        try {
            if (connection.getAutoCommit()) {
                return null;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create a savepoint", e);
        }
        entityManager.flush();
        Savepoint jdbc = jdbcSavepoints.on(holder, connection);
        return jdbc == null ? null : new JpaSavepoint(entityManager, jdbc);
    }

    /** Flushes the entity manager of the current JPA transaction, if there is one. */
    @Override
    public void synchronize() {
        EntityManager entityManager = transactionalEntityManager();
        if (entityManager != null) {
            entityManager.flush();
        }
        // A handler that swallowed a database error (its own or the flush's) left the transaction aborted.
        if (TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder holder
                && holder.getConnectionHandle() != null) {
            TransactionStates.failIfAborted(holder.getConnection());
        }
    }

    /**
     * The entity manager of the current JPA transaction of our factory, or null if there is none. An entity manager
     * merely bound to a transaction of another transaction manager has no active resource-local transaction (its
     * writes are not on the transaction's connection), and one of a JTA setup refuses {@code getTransaction()}.
     */
    private EntityManager transactionalEntityManager() {
        EntityManager entityManager = boundEntityManager();
        return entityManager != null && !isJta(entityManager) && entityManager.getTransaction().isActive()
                ? entityManager : null;
    }

    /** The entity manager Spring bound to the current transaction for our factory, or null. */
    private EntityManager boundEntityManager() {
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || !(TransactionSynchronizationManager.getResource(entityManagerFactory)
                instanceof EntityManagerHolder holder)
                || !holder.isSynchronizedWithTransaction()) {
            return null;
        }
        return holder.getEntityManager();
    }

    /** JPA has a JTA entity manager refuse {@code getTransaction()}. */
    private static boolean isJta(EntityManager entityManager) {
        try {
            entityManager.getTransaction();
            return false;
        } catch (IllegalStateException jta) {
            return true;
        }
    }

    /** The JDBC savepoint, with the persistence context kept consistent with it. */
    private record JpaSavepoint(EntityManager entityManager, Savepoint jdbc) implements Savepoint {

        @Override
        public void rollback() {
            try {
                // Also lifts the connection holder's rollback-only mark: the savepoint was taken without one.
                jdbc.rollback();
            } finally {
                entityManager.clear();
            }
            EntityTransaction transaction = entityManager.getTransaction();
            if (transaction.getRollbackOnly()) {
                EntityTransactionRollbackOnly.clear(transaction);
            }
        }

        @Override
        public void release() {
            entityManager.flush();
            jdbc.release();
        }
    }
}
