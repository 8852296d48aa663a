package io.axondlq.spring.web.testapp;

import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** Which accounts the ledger handler fails for, and with what; "fixing the handler" is {@link #cure}. */
public class Poison {

    private final Map<String, Function<String, RuntimeException>> poisoned = new ConcurrentHashMap<>();
    private final Set<String> failingAfterCommit = ConcurrentHashMap.newKeySet();

    public void poison(String accountId) {
        poison(accountId, id -> new IllegalStateException("poisoned account " + id));
    }

    public void poison(String accountId, Function<String, RuntimeException> failure) {
        poisoned.put(accountId, failure);
    }

    public void cure(String accountId) {
        poisoned.remove(accountId);
    }

    /**
     * Makes the handler register, for this account, a transaction callback that throws once the handling has
     * committed (a notification sent after commit, say, that fails).
     */
    public void failAfterCommit(String accountId) {
        failingAfterCommit.add(accountId);
    }

    /** Called by the handler in its transaction. */
    public void afterCommit(String accountId) {
        if (failingAfterCommit.contains(accountId) && TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    throw new IllegalStateException("after-commit callback for account " + accountId + " failed");
                }
            });
        }
    }

    public void check(String accountId) {
        Function<String, RuntimeException> failure = poisoned.get(accountId);
        if (failure != null) {
            throw failure.apply(accountId);
        }
    }
}
