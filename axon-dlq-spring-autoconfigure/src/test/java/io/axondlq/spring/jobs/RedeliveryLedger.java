package io.axondlq.spring.jobs;


import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.RetryJobRunner;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps the real redelivery of several runners ("nodes") and records who redelivered which sequence, and how many
 * redeliveries ran at the same time.
 */
final class RedeliveryLedger {

    /** Runs before the real redelivery; may block, to stand for a slow or hung node. */
    @FunctionalInterface
    interface Hook {
        void before(String node, String sequenceKey) throws Exception;
    }

    private final Map<String, Queue<String>> nodesByKey = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();

    RetryJobRunner.Redelivery wrap(String node, RetryJobRunner.Redelivery delegate) {
        return wrap(node, delegate, (n, key) -> {
        });
    }

    RetryJobRunner.Redelivery wrap(String node, RetryJobRunner.Redelivery delegate, Hook hook) {
        return (group, key) -> {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                hook.before(node, key);
                nodesByKey.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(node);
                return delegate.redeliver(group, key);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        };
    }

    AutoRetryScheduler.Redelivery wrapAuto(String node, AutoRetryScheduler.Redelivery delegate) {
        return wrapAuto(node, delegate, (n, key) -> {
        });
    }

    /** The same ledger for automatic retry, whose redelivery also takes the scheduler's recorder. */
    AutoRetryScheduler.Redelivery wrapAuto(String node, AutoRetryScheduler.Redelivery delegate, Hook hook) {
        return (group, key, recorder) -> wrap(node, (g, k) -> delegate.redeliver(g, k, recorder), hook)
                .redeliver(group, key);
    }

    /** Nodes that called the real redelivery for the key, in call order. */
    List<String> nodes(String sequenceKey) {
        Queue<String> nodes = nodesByKey.get(sequenceKey);
        return nodes == null ? List.of() : List.copyOf(nodes);
    }

    Map<String, Queue<String>> all() {
        return nodesByKey;
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

}
