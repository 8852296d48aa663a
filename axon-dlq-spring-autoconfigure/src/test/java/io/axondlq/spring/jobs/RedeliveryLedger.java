package io.axondlq.spring.jobs;


import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

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
        return new RetryJobRunner.Redelivery() {
            @Override
            public RedeliveryResult redeliver(String group, String key) {
                return record(node, key, hook, () -> delegate.redeliver(group, key));
            }

            @Override
            public RedeliveryResult redeliver(String group, String key, BooleanSupplier stopRequested) {
                return record(node, key, hook, () -> delegate.redeliver(group, key, stopRequested));
            }
        };
    }

    private RedeliveryResult record(String node, String key, Hook hook, Supplier<RedeliveryResult> redelivery) {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        try {
            hook.before(node, key);
            nodesByKey.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>()).add(node);
            return redelivery.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    AutoRetryScheduler.Redelivery wrapAuto(String node, AutoRetryScheduler.Redelivery delegate) {
        return wrapAuto(node, delegate, (n, key) -> {
        });
    }

    /** The same ledger for automatic retry, whose redelivery also takes the scheduler's recorder. */
    AutoRetryScheduler.Redelivery wrapAuto(String node, AutoRetryScheduler.Redelivery delegate, Hook hook) {
        return new AutoRetryScheduler.Redelivery() {
            @Override
            public RedeliveryResult redeliver(String group, String key, RedeliveryRecorder recorder) {
                return record(node, key, hook, () -> delegate.redeliver(group, key, recorder));
            }

            @Override
            public RedeliveryResult redeliver(String group, String key, RedeliveryRecorder recorder,
                                              BooleanSupplier stopRequested) {
                return record(node, key, hook, () -> delegate.redeliver(group, key, recorder, stopRequested));
            }
        };
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
