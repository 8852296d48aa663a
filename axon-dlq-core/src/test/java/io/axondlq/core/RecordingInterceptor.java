package io.axondlq.core;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A handler interceptor registered on a processor: records every event the processor delivers to its invoker (so a
 * test can prove that Axon delivered an event again), and marks the thread with the identifier of the event whose
 * interceptor chain is running (so a handler can tell whether it runs inside its own event's chain).
 */
final class RecordingInterceptor implements MessageHandlerInterceptor<EventMessage<?>> {

    private static final ThreadLocal<String> INTERCEPTING = new ThreadLocal<>();

    /** Event keys ({@link ThingHappened#key()}) in delivery order, one entry per delivery. */
    private final List<String> delivered = new CopyOnWriteArrayList<>();

    @Override
    public Object handle(UnitOfWork<? extends EventMessage<?>> unitOfWork, InterceptorChain interceptorChain)
            throws Exception {
        EventMessage<?> message = unitOfWork.getMessage();
        // A nested unit of work is axon-dlq re-running the event after a checkpoint rollback, not a delivery.
        if (unitOfWork.isRoot() && message.getPayload() instanceof ThingHappened event) {
            delivered.add(event.key());
        }
        String outer = INTERCEPTING.get();
        INTERCEPTING.set(message.getIdentifier());
        try {
            return interceptorChain.proceed();
        } finally {
            if (outer == null) {
                INTERCEPTING.remove();
            } else {
                INTERCEPTING.set(outer);
            }
        }
    }

    /** How many times the processor delivered the event (through this interceptor). */
    int deliveries(String eventKey) {
        return (int) delivered.stream().filter(eventKey::equals).count();
    }

    /** The identifier of the event whose chain runs on this thread; null outside any chain of this interceptor. */
    static String interceptedMessageId() {
        return INTERCEPTING.get();
    }
}
