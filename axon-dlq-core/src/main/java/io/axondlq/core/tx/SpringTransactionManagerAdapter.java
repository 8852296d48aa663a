package io.axondlq.core.tx;

import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.TransactionDefinition;
import org.springframework.transaction.TransactionStatus;
import org.springframework.transaction.support.DefaultTransactionDefinition;

import java.util.Objects;

/**
 * Axon {@link TransactionManager} over a Spring {@link PlatformTransactionManager}, for applications without
 * {@code axon-spring}. Joins an existing transaction, like Axon's own {@code SpringTransactionManager}.
 */
public final class SpringTransactionManagerAdapter implements TransactionManager {

    private final PlatformTransactionManager transactionManager;
    private final TransactionDefinition definition;

    public SpringTransactionManagerAdapter(PlatformTransactionManager transactionManager) {
        this.transactionManager = Objects.requireNonNull(transactionManager, "transactionManager");
        this.definition = new DefaultTransactionDefinition(TransactionDefinition.PROPAGATION_REQUIRED);
    }

    @Override
    public Transaction startTransaction() {
        TransactionStatus status = transactionManager.getTransaction(definition);
        return new Transaction() {
            @Override
            public void commit() {
                transactionManager.commit(status);
            }

            @Override
            public void rollback() {
                transactionManager.rollback(status);
            }
        };
    }
}
