package io.axondlq.testsupport;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;

import java.util.List;

/**
 * Axon's {@link InMemoryEventStorageEngine} with appends that a processor reading at the same time cannot skip.
 * <p>
 * Axon 4.13 stores the events of one append through a {@code HashMap} ({@code Collectors.toMap}), so they enter its
 * sorted map in hash order: positions 1 to n first, position 0 of a fresh engine last. A processor tailing the engine
 * meanwhile ({@code higherEntry} of the last position it read) can read position 1 before position 0 exists and
 * never see position 0: a test publishing several events at once after the processor started then lost its first
 * event now and then, which looked like "a dead letter's follower neither handled nor queued". Appending one event
 * at a time stores them in position order.
 */
public class OrderedInMemoryEventStorageEngine extends InMemoryEventStorageEngine {

    @Override
    public void appendEvents(List<? extends EventMessage<?>> events) {
        for (EventMessage<?> event : events) {
            super.appendEvents(List.of(event));
        }
    }
}
