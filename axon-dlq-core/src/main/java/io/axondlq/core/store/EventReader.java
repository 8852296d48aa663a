package io.axondlq.core.store;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;

import java.util.List;
import java.util.UUID;

/**
 * Turns a stored event back into the messages Axon handles; supplied by the store that wrote it. A store configured
 * with an upcaster chain runs the stored event through it first, exactly as an event store reads its events, so one
 * stored event may become none, one or several messages.
 */
@FunctionalInterface
public interface EventReader {

    /**
     * The single message the stored event is (after upcasting).
     *
     * @throws UndeserializableLetterException when the payload or metadata cannot be read, or when the upcaster chain
     *                                         does not make exactly one event of it (a tracking token that cannot be
     *                                         read does not: the event is then read as an untracked one)
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

    /**
     * Every message the upcaster chain makes of the stored event, in order; empty when an upcaster drops it.
     *
     * @throws UndeserializableLetterException when one of them cannot be read
     */
    default List<EventMessage<?>> readAll(UUID letterId, SerializedEvent event) {
        return List.of(read(letterId, event));
    }

    /**
     * Whether the stored event can be read, without deserializing payloads: cheap enough for listings and exports
     * (the payload is converted only where an upcaster changes it). A payload whose class exists may still fail to
     * deserialize; {@link #readAll} tells.
     */
    default LetterReadability readability(UUID letterId, SerializedEvent event) {
        LetterReadability.PayloadType stored =
                new LetterReadability.PayloadType(event.payloadType(), event.payloadRevision());
        try {
            read(letterId, event);
            return LetterReadability.readable(List.of(stored));
        } catch (UndeserializableLetterException e) {
            return LetterReadability.unreadable(e.reason(), List.of(stored));
        }
    }
}
