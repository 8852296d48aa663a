package io.axondlq.core.tx;

import io.axondlq.testsupport.DatabaseTestBase;
import jakarta.persistence.EntityManager;
import jakarta.persistence.EntityManagerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.orm.jpa.EntityManagerHolder;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.lang.reflect.Proxy;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link JpaAwareSavepoints} in a transaction whose entity manager is a JTA one (it refuses {@code getTransaction()}):
 * no savepoint, so the invoker falls back to replaying the batch (I4). It fell back to a JDBC savepoint on the
 * transaction's connection, which does not cover the persistence context (the failed attempt's dirty entities would
 * be flushed at commit), and which a connection enlisted in an XA transaction refuses. The JTA entity manager is a
 * stand-in bound as Spring binds one; the connection is the database's. Subclasses pick the database.
 */
abstract class JpaAwareSavepointsJtaTest extends DatabaseTestBase {

    @Test
    void aJtaEntityManagersTransactionGivesNoSavepoint() {
        EntityManagerFactory factory = stub(EntityManagerFactory.class);
        EntityManager jta = (EntityManager) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{EntityManager.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getTransaction")) {
                        throw new IllegalStateException("A JTA EntityManager cannot use getTransaction()");
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        Savepoints savepoints = new JpaAwareSavepoints(dataSource, factory);
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        List<?> warnings = JdbcSavepointsTest.logged(JpaAwareSavepoints.class, () ->
                new TransactionTemplate(new DataSourceTransactionManager(dataSource)).executeWithoutResult(status -> {
                    jdbc.queryForObject("SELECT 1", Integer.class);
                    EntityManagerHolder holder = new EntityManagerHolder(jta);
                    holder.setSynchronizedWithTransaction(true);
                    TransactionSynchronizationManager.bindResource(factory, holder);
                    try {
                        assertThat(savepoints.create()).isNull();
                        assertThat(savepoints.create()).isNull();
                    } finally {
                        TransactionSynchronizationManager.unbindResource(factory);
                    }
                }));
        assertThat(warnings).as("logged once").hasSize(1);
    }

    private static <T> T stub(Class<T> type) {
        return type.cast(Proxy.newProxyInstance(JpaAwareSavepointsJtaTest.class.getClassLoader(), new Class<?>[]{type},
                                                (proxy, method, args) -> switch (method.getName()) {
                                                    case "hashCode" -> System.identityHashCode(proxy);
                                                    case "equals" -> proxy == args[0];
                                                    case "toString" -> "stub " + type.getSimpleName();
                                                    default -> throw new UnsupportedOperationException();
                                                }));
    }
}
