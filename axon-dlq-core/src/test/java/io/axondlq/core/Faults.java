package io.axondlq.core;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The projection handler's fault switch. Every switch is thread-safe and can be flipped while processors run. */
final class Faults {

    /** Every event of these aggregates fails before writing anything, live and on redelivery. */
    final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    /** Every event of these aggregates writes its projection row, then fails. */
    final Set<String> insertThenThrow = ConcurrentHashMap.newKeySet();
    /** Every event of these aggregates fails with an {@link IllegalArgumentException}. */
    final Set<String> nonRetryable = ConcurrentHashMap.newKeySet();
    /** Event key → how many more attempts of that event fail before it succeeds. */
    final Map<String, AtomicInteger> transientFailures = new ConcurrentHashMap<>();
    /** Events (by key) that write their row, then insert a duplicate key into {@code unique_guard}. */
    final Set<String> uniqueViolation = ConcurrentHashMap.newKeySet();
    /**
     * Events (by key) that write their row, then insert a duplicate key into {@code unique_guard} and catch the
     * error, returning normally (on PostgreSQL the transaction is then aborted).
     */
    final Set<String> swallowedUniqueViolation = ConcurrentHashMap.newKeySet();
    /** Event key → the exception every attempt of that event fails with, before writing anything. */
    final Map<String, Supplier<? extends RuntimeException>> failWith = new ConcurrentHashMap<>();

    void failTimes(String eventKey, int times) {
        transientFailures.put(eventKey, new AtomicInteger(times));
    }

    /** Heals every fault. */
    void clear() {
        poisoned.clear();
        insertThenThrow.clear();
        nonRetryable.clear();
        transientFailures.clear();
        uniqueViolation.clear();
        swallowedUniqueViolation.clear();
        failWith.clear();
    }

    /** Checked before the handler writes. */
    void beforeWrite(ThingHappened event) {
        if (poisoned.contains(event.aggregateId())) {
            throw new IllegalStateException("poisoned " + event.key());
        }
        if (nonRetryable.contains(event.aggregateId())) {
            throw new IllegalArgumentException("non-retryable " + event.key());
        }
        Supplier<? extends RuntimeException> failure = failWith.get(event.key());
        if (failure != null) {
            throw failure.get();
        }
        AtomicInteger remaining = transientFailures.get(event.key());
        if (remaining != null && remaining.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("transient failure of " + event.key());
        }
    }

    /** Checked after the handler wrote its row. */
    void afterWrite(ThingHappened event) {
        if (insertThenThrow.contains(event.aggregateId())) {
            throw new IllegalStateException("failed after writing " + event.key());
        }
    }
}
