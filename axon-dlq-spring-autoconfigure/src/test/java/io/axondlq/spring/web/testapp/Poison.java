package io.axondlq.spring.web.testapp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** Which accounts the ledger handler fails for, and with what; "fixing the handler" is {@link #cure}. */
public class Poison {

    private final Map<String, Function<String, RuntimeException>> poisoned = new ConcurrentHashMap<>();

    public void poison(String accountId) {
        poison(accountId, id -> new IllegalStateException("poisoned account " + id));
    }

    public void poison(String accountId, Function<String, RuntimeException> failure) {
        poisoned.put(accountId, failure);
    }

    public void cure(String accountId) {
        poisoned.remove(accountId);
    }

    public void check(String accountId) {
        Function<String, RuntimeException> failure = poisoned.get(accountId);
        if (failure != null) {
            throw failure.apply(accountId);
        }
    }
}
