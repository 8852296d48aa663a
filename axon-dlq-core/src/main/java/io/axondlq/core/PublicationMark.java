package io.axondlq.core;

import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * How many messages the batch's unit of work had queued for after the commit at a savepoint. A handler that
 * publishes through Axon's event bus during a batch only queues the event (in a unit-of-work resource Axon's
 * {@code AbstractEventBus} keys {@code <bus>_EVENTS}); it is stored at commit. Subscription-query updates are queued
 * the same way ({@code SimpleQueryUpdateEmitter}: {@code <emitter>/update-tasks}). Rolling the database back to a
 * savepoint does not dequeue them, so a failed attempt's messages, or those of an event re-run after a rollback,
 * would go out anyway or twice. Restoring the mark drops what was queued since.
 * <p>
 * An event handled in a unit of work nested in the batch (a re-run after a checkpoint rollback, a deferred follower)
 * queues its updates in that unit of work, whose after-commit Axon hands to the batch's: the batch runs them in
 * reverse order of registration, so the updates of several such events would reach subscribers in reverse event
 * order, and a rollback to the mark would not drop them. {@link #handOverUpdates} appends them to the batch's own
 * queue instead, where every update of the batch goes out in the order it was queued.
 */
final class PublicationMark {

    private static final String EVENT_QUEUE_SUFFIX = "_EVENTS";
    private static final String QUERY_UPDATE_QUEUE_SUFFIX = "/update-tasks";
    private static final PublicationMark NONE = new PublicationMark(null, Map.of());

    private final UnitOfWork<?> unitOfWork;
    private final Map<List<?>, Integer> sizes;

    private PublicationMark(UnitOfWork<?> unitOfWork, Map<List<?>, Integer> sizes) {
        this.unitOfWork = unitOfWork;
        this.sizes = sizes;
    }

    /** Marks the queues of the current unit of work (and of its parents, where nested publications end up). */
    static PublicationMark take() {
        if (!CurrentUnitOfWork.isStarted()) {
            return NONE;
        }
        UnitOfWork<?> current = CurrentUnitOfWork.get();
        Map<List<?>, Integer> sizes = new IdentityHashMap<>();
        for (UnitOfWork<?> u = current; u != null; u = u.parent().orElse(null)) {
            for (Map.Entry<String, Object> resource : u.resources().entrySet()) {
                if (isQueue(resource)) {
                    List<?> queue = (List<?>) resource.getValue();
                    sizes.put(queue, queue.size());
                }
            }
        }
        return new PublicationMark(current, sizes);
    }

    /**
     * Drops the events queued since the mark: from queues that existed then, everything past their size; queues
     * created since then are emptied.
     */
    void restore() {
        if (unitOfWork == null) {
            return;
        }
        for (UnitOfWork<?> u = unitOfWork; u != null; u = u.parent().orElse(null)) {
            for (Map.Entry<String, Object> resource : u.resources().entrySet()) {
                if (isQueue(resource)) {
                    List<?> queue = (List<?>) resource.getValue();
                    int keep = sizes.getOrDefault(queue, 0);
                    if (queue.size() > keep) {
                        queue.subList(keep, queue.size()).clear();
                    }
                }
            }
        }
    }

    /**
     * Moves the subscription-query updates {@code committed} (a nested unit of work that just committed) queued onto
     * the end of its parent's queue of the same emitter, creating that queue (run after the parent's commit, as
     * {@code SimpleQueryUpdateEmitter} does) when the parent has none yet: later updates of the parent are queued
     * behind them. They still go out only after the root's commit, in the order they were queued, and a rollback to a
     * mark taken in the parent before drops them. Left to Axon (after-commit handed to the parent) when the parent is
     * past its commit already.
     */
    static void handOverUpdates(UnitOfWork<?> committed) {
        UnitOfWork<?> parent = committed.parent().orElse(null);
        if (parent == null || !parent.phase().isBefore(UnitOfWork.Phase.AFTER_COMMIT)) {
            return;
        }
        for (Map.Entry<String, Object> resource : committed.resources().entrySet()) {
            if (resource.getKey().endsWith(QUERY_UPDATE_QUEUE_SUFFIX)
                    && resource.getValue() instanceof List<?> updates && !updates.isEmpty()) {
                List<Object> target = updateQueue(parent, resource.getKey());
                if (target != null) {
                    target.addAll(updates);
                    // The emitter's own after-commit of the nested unit of work runs an empty queue.
                    updates.clear();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Object> updateQueue(UnitOfWork<?> unitOfWork, String key) {
        Object existing = unitOfWork.resources().get(key);
        if (existing != null) {
            return existing instanceof List<?> queue ? (List<Object>) queue : null;
        }
        List<Object> queue = new ArrayList<>();
        unitOfWork.resources().put(key, queue);
        unitOfWork.afterCommit(u -> queue.forEach(update -> {
            if (update instanceof Runnable task) {
                task.run();
            }
        }));
        return queue;
    }

    private static boolean isQueue(Map.Entry<String, Object> resource) {
        return (resource.getKey().endsWith(EVENT_QUEUE_SUFFIX) || resource.getKey().endsWith(QUERY_UPDATE_QUEUE_SUFFIX))
                && resource.getValue() instanceof List<?>;
    }
}
