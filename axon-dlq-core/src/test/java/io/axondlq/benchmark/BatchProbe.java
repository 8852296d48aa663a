package io.axondlq.benchmark;

import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Records, per processor batch (the root unit of work), when its first handler invocation started and when it
 * committed, and how often the handler ran for each event, in the batch and over the whole run. The poison-stall
 * scenario compares the poison's batch with the other batches of the same run, and uses the invocation counts to
 * show whether the processor replayed anything (it would show up as a third invocation of a healthy event, or as
 * a second batch holding the same events).
 */
final class BatchProbe {

    /** One batch: nanoTime of its first invocation, of its commit (0 until committed), invocations per event. */
    static final class Batch {
        final long firstInvocation;
        volatile long committed;
        final Map<String, Integer> invocations = new LinkedHashMap<>();

        Batch(long firstInvocation) {
            this.firstInvocation = firstInvocation;
        }

        double millis() {
            return (committed - firstInvocation) / 1e6;
        }

        int events() {
            return invocations.size();
        }
    }

    private final Map<UnitOfWork<?>, Batch> batches = new IdentityHashMap<>();
    private final List<Batch> inOrder = new ArrayList<>();
    private final Map<String, Integer> runInvocations = new LinkedHashMap<>();

    static String key(BenchEvent event) {
        return event.aggregateId() + "/" + event.sequence();
    }

    synchronized void invoked(BenchEvent event) {
        UnitOfWork<?> root = CurrentUnitOfWork.get().root();
        Batch batch = batches.computeIfAbsent(root, uow -> {
            Batch b = new Batch(System.nanoTime());
            uow.afterCommit(u -> b.committed = System.nanoTime());
            inOrder.add(b);
            return b;
        });
        batch.invocations.merge(key(event), 1, Integer::sum);
        runInvocations.merge(key(event), 1, Integer::sum);
    }

    /** The committed batches, in the order they started. */
    synchronized List<Batch> committedBatches() {
        return inOrder.stream().filter(b -> b.committed != 0).toList();
    }

    /** How often the handler ran for each event over the whole run. */
    synchronized Map<String, Integer> runInvocations() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(runInvocations));
    }
}
