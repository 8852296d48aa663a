package io.axondlq.core.store;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;

import java.util.UUID;

/** Turns a stored event back into the message Axon handles; supplied by the store that wrote it. */
@FunctionalInterface
public interface EventReader {

    /**
     * @throws UndeserializableLetterException when the payload, metadata or token cannot be read
     */
    EventMessage<?> read(UUID letterId, SerializedEvent event);

    /**
     * The metadata alone, so that it can be shown (with its masked keys masked) also when the payload's class is
     * gone. The default reads the whole event.
     *
     * @throws UndeserializableLetterException when the metadata cannot be read
     */
    default MetaData readMetaData(UUID letterId, SerializedEvent event) {
        return read(letterId, event).getMetaData();
    }
}
