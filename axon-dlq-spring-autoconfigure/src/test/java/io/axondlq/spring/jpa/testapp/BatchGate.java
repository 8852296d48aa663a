package io.axondlq.spring.jpa.testapp;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.async.SequencingPolicy;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Lets a test put a run of events into one processor batch. The test publishes a "gate" event alone; its handler
 * holds the work package's thread until the coordinator has seen a "marker" event that the test publishes after the
 * run. This class is the processing group's sequencing policy (per aggregate, as Axon's default), which the pooled
 * processor's coordinator asks about every event before it queues the event for its work package; the coordinator
 * queues events in stream order, so once it has asked about the marker the whole run is queued, and the work package
 * takes it as its next batch.
 */
public class BatchGate implements SequencingPolicy<EventMessage<?>> {

    private static final Duration MAX_WAIT = Duration.ofSeconds(20);

    private final SequentialPerAggregatePolicy delegate = SequentialPerAggregatePolicy.instance();
    private final Set<Object> seen = ConcurrentHashMap.newKeySet();
    private String gate;
    private String marker;
    private boolean held;

    @Override
    public Object getSequenceIdentifierFor(EventMessage<?> event) {
        Object identifier = delegate.getSequenceIdentifierFor(event);
        if (identifier != null && seen.add(identifier)) {
            synchronized (this) {
                notifyAll();
            }
        }
        return identifier;
    }

    /** The event of order {@code gate} will be held until an event of order {@code marker} was seen. */
    public synchronized void arm(String gate, String marker) {
        this.gate = gate;
        this.marker = marker;
        this.held = false;
    }

    /** @return whether the gate event's handler is holding its batch within the timeout */
    public synchronized boolean awaitHeld(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!held && System.nanoTime() < deadline) {
            TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, deadline - System.nanoTime()));
        }
        return held;
    }

    /** Called by the handler for every event: holds the gate event until its marker was seen. */
    synchronized void pass(String orderId) throws InterruptedException {
        if (!orderId.equals(gate)) {
            return;
        }
        gate = null;
        held = true;
        notifyAll();
        long deadline = System.nanoTime() + MAX_WAIT.toNanos();
        while (!seen.contains(marker) && System.nanoTime() < deadline) {
            TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, deadline - System.nanoTime()));
        }
    }
}
