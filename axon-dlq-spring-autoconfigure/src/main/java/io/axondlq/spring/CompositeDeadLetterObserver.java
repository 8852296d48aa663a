package io.axondlq.spring;

import io.axondlq.core.observe.DeadLetterObserver;
import org.axonframework.eventhandling.EventMessage;

import java.util.List;

/** Fans out to every {@link DeadLetterObserver} bean. */
class CompositeDeadLetterObserver implements DeadLetterObserver {

    private final List<DeadLetterObserver> observers;

    CompositeDeadLetterObserver(List<DeadLetterObserver> observers) {
        this.observers = List.copyOf(observers);
    }

    @Override
    public void retried(String group, EventMessage<?> event, Throwable cause, int failedAttempts) {
        observers.forEach(o -> o.retried(group, event, cause, failedAttempts));
    }

    @Override
    public void deadLettered(String group, EventMessage<?> event, Throwable cause, int attempts) {
        observers.forEach(o -> o.deadLettered(group, event, cause, attempts));
    }

    @Override
    public void parked(String group, EventMessage<?> event) {
        observers.forEach(o -> o.parked(group, event));
    }

    @Override
    public void skipped(String group, EventMessage<?> event, Throwable cause) {
        observers.forEach(o -> o.skipped(group, event, cause));
    }

    @Override
    public void redelivered(String group, EventMessage<?> event) {
        observers.forEach(o -> o.redelivered(group, event));
    }

    @Override
    public void redeliveryFailed(String group, EventMessage<?> event, Throwable cause) {
        observers.forEach(o -> o.redeliveryFailed(group, event, cause));
    }

    @Override
    public void overflowed(String group, EventMessage<?> event) {
        observers.forEach(o -> o.overflowed(group, event));
    }
}
