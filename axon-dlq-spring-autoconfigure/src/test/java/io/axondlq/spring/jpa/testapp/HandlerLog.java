package io.axondlq.spring.jpa.testapp;

import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every handler invocation per order, with the processor batch (root unit of work) it ran in: a batch the processor
 * rolls back and replays runs in a new unit of work, a re-run inside the same batch does not.
 */
public class HandlerLog {

    private static final String BATCH_RESOURCE = HandlerLog.class.getName() + ".batch";

    private final AtomicLong batches = new AtomicLong();
    private final Map<String, List<Long>> invocations = new ConcurrentHashMap<>();
    private final Map<String, Long> firstInvokedAt = new ConcurrentHashMap<>();

    void record(String orderId) {
        long batch = CurrentUnitOfWork.isStarted() ? batchOf(CurrentUnitOfWork.get().root()) : -1;
        invocations.computeIfAbsent(orderId, k -> new CopyOnWriteArrayList<>()).add(batch);
        firstInvokedAt.putIfAbsent(orderId, System.nanoTime());
    }

    /** {@link System#nanoTime()} of the first invocation for {@code orderId}. */
    public long firstInvokedAt(String orderId) {
        Long at = firstInvokedAt.get(orderId);
        if (at == null) {
            throw new IllegalStateException("order " + orderId + " was never handled");
        }
        return at;
    }

    private long batchOf(UnitOfWork<?> root) {
        return root.getOrComputeResource(BATCH_RESOURCE, k -> batches.incrementAndGet());
    }

    /** The batch of each invocation for {@code orderId}, in order. */
    public List<Long> batches(String orderId) {
        return List.copyOf(invocations.getOrDefault(orderId, List.of()));
    }

    public int invocations(String orderId) {
        return batches(orderId).size();
    }
}
