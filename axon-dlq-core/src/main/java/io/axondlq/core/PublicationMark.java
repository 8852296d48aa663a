package io.axondlq.core;

import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;

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

    private static boolean isQueue(Map.Entry<String, Object> resource) {
        return (resource.getKey().endsWith(EVENT_QUEUE_SUFFIX) || resource.getKey().endsWith(QUERY_UPDATE_QUEUE_SUFFIX))
                && resource.getValue() instanceof List<?>;
    }
}
