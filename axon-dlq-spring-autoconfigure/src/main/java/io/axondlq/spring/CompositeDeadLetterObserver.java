package io.axondlq.spring;

import io.axondlq.core.observe.DeadLetterObserver;
import org.axonframework.eventhandling.EventMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;

/**
 * Fans out to every {@link DeadLetterObserver} bean (the auto-configuration builds one for the invoker and the
 * redeliverer, and the REST API builds one for operator evictions). An observer that throws is logged and does not
 * keep the others from hearing the event, nor breaks the caller.
 */
public class CompositeDeadLetterObserver implements DeadLetterObserver {

    private static final Logger logger = LoggerFactory.getLogger(CompositeDeadLetterObserver.class);

    private final List<DeadLetterObserver> observers;

    public CompositeDeadLetterObserver(List<DeadLetterObserver> observers) {
        this.observers = List.copyOf(observers);
    }

    @Override
    public void retried(String group, EventMessage<?> event, Throwable cause, int failedAttempts) {
        each(o -> o.retried(group, event, cause, failedAttempts));
    }

    @Override
    public void deadLettered(String group, EventMessage<?> event, Throwable cause, int attempts) {
        each(o -> o.deadLettered(group, event, cause, attempts));
    }

    @Override
    public void parked(String group, EventMessage<?> event) {
        each(o -> o.parked(group, event));
    }

    @Override
    public void skipped(String group, EventMessage<?> event, Throwable cause) {
        each(o -> o.skipped(group, event, cause));
    }

    @Override
    public void redelivered(String group, EventMessage<?> event) {
        each(o -> o.redelivered(group, event));
    }

    @Override
    public void redeliveryFailed(String group, EventMessage<?> event, Throwable cause) {
        each(o -> o.redeliveryFailed(group, event, cause));
    }

    @Override
    public void overflowed(String group, EventMessage<?> event) {
        each(o -> o.overflowed(group, event));
    }

    @Override
    public void evicted(String group, int letters, String reason) {
        each(o -> o.evicted(group, letters, reason));
    }

    private void each(Consumer<DeadLetterObserver> call) {
        for (DeadLetterObserver observer : observers) {
            try {
                call.accept(observer);
            } catch (RuntimeException e) {
                logger.warn("Dead-letter observer [{}] failed: {}", observer.getClass().getName(), e.toString());
            }
        }
    }
}
