package io.axondlq.core.tx;

import jakarta.persistence.EntityTransaction;

import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Removes the rollback-only mark of a JPA resource-local transaction after a rollback to a savepoint has undone the
 * work that set it. JPA has no API for this; Hibernate (the provider Spring Boot uses) keeps the mark in a field of
 * its JDBC transaction driver, which is what this reaches. Any other provider, or a Hibernate version that keeps the
 * mark elsewhere, gets a clear error instead of a batch that can never commit.
 */
final class EntityTransactionRollbackOnly {

    private static final String DRIVER_ACCESSOR = "internalGetTransactionDriverControl";
    private static final String MARK_FIELD = "rollbackOnly";

    private EntityTransactionRollbackOnly() {
    }

    static void clear(EntityTransaction transaction) {
        try {
            Method accessor = transaction.getClass().getMethod(DRIVER_ACCESSOR);
            Object driver = accessor.invoke(transaction);
            Field mark = driver.getClass().getDeclaredField(MARK_FIELD);
            mark.setAccessible(true);
            mark.setBoolean(driver, false);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException(
                    "A failed handler attempt marked the JPA transaction (" + transaction.getClass().getName()
                            + ") rollback-only and the mark cannot be removed after rolling back to its savepoint; "
                            + "the batch will be rolled back", e);
        }
        if (transaction.getRollbackOnly()) {
            throw new IllegalStateException("The JPA transaction (" + transaction.getClass().getName()
                                                    + ") is still rollback-only after removing the mark");
        }
    }
}
