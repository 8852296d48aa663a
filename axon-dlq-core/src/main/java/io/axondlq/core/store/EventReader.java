package io.axondlq.core.store;

import org.axonframework.eventhandling.EventMessage;

import java.util.UUID;

/** Turns a stored event back into the message Axon handles; supplied by the store that wrote it. */
@FunctionalInterface
public interface EventReader {

    /**
     * @throws UndeserializableLetterException when the payload, metadata or token cannot be read
     */
    EventMessage<?> read(UUID letterId, SerializedEvent event);
}
