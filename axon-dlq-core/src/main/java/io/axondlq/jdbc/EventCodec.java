package io.axondlq.jdbc;

import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredText;
import io.axondlq.core.store.UndeserializableLetterException;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.GenericTrackedDomainEventMessage;
import org.axonframework.eventhandling.GenericTrackedEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.SerializedMessage;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.UnknownSerializedType;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Converts events and diagnostics to and from their stored form. Payloads that arrive already serialized (events
 * read from an event store) are copied as they are, not deserialized and serialized again.
 */
final class EventCodec {

    private final Serializer eventSerializer;
    private final Serializer genericSerializer;

    EventCodec(Serializer eventSerializer, Serializer genericSerializer) {
        this.eventSerializer = Objects.requireNonNull(eventSerializer, "eventSerializer");
        this.genericSerializer = Objects.requireNonNull(genericSerializer, "genericSerializer");
    }

    SerializedEvent serialize(EventMessage<?> message) {
        SerializedObject<byte[]> payload = message.serializePayload(eventSerializer, byte[].class);
        SerializedObject<byte[]> metaData = message.serializeMetaData(eventSerializer, byte[].class);
        String aggregateType = null;
        String aggregateIdentifier = null;
        Long sequenceNumber = null;
        if (message instanceof DomainEventMessage<?> domain && domain.getAggregateIdentifier() != null) {
            aggregateType = domain.getType();
            aggregateIdentifier = domain.getAggregateIdentifier();
            sequenceNumber = domain.getSequenceNumber();
        }
        String tokenType = null;
        byte[] token = null;
        if (message instanceof TrackedEventMessage<?> tracked && tracked.trackingToken() != null) {
            SerializedObject<byte[]> serializedToken =
                    genericSerializer.serialize(tracked.trackingToken(), byte[].class);
            tokenType = serializedToken.getType().getName();
            token = serializedToken.getData();
        }
        // Every text field is made storable (StoredText): a letter must never be refused for its text.
        return new SerializedEvent(StoredText.identifier(message.getIdentifier(), StoredText.EVENT_IDENTIFIER),
                                   StoredText.text(message.getClass().getName(), StoredText.MESSAGE_TYPE),
                                   StoredText.text(payload.getType().getName(), StoredText.PAYLOAD_TYPE),
                                   StoredText.text(payload.getType().getRevision(), StoredText.PAYLOAD_REVISION),
                                   payload.getData(), metaData.getData(),
                                   StoredText.text(aggregateType, StoredText.AGGREGATE_TYPE),
                                   StoredText.identifier(aggregateIdentifier, StoredText.AGGREGATE_IDENTIFIER),
                                   sequenceNumber, StoredText.text(tokenType, StoredText.TOKEN_TYPE), token,
                                   truncate(message.getTimestamp()));
    }

    /**
     * Reads the event back, deserializing the payload right away so that a missing class surfaces here, as a typed
     * error naming the letter, rather than deep inside a handler.
     */
    EventMessage<?> read(UUID letterId, SerializedEvent event) {
        SimpleSerializedType payloadType = new SimpleSerializedType(event.payloadType(), event.payloadRevision());
        Class<?> payloadClass;
        try {
            payloadClass = eventSerializer.classForType(payloadType);
        } catch (RuntimeException e) {
            throw new UndeserializableLetterException(letterId, event.payloadType(), e);
        }
        if (UnknownSerializedType.class.equals(payloadClass)) {
            throw new UndeserializableLetterException(letterId, event.payloadType(), null);
        }
        try {
            SerializedMessage<?> serialized = new SerializedMessage<>(
                    event.eventIdentifier(),
                    new SimpleSerializedObject<>(event.payload(), byte[].class, payloadType),
                    new SimpleSerializedObject<>(event.metaData() == null ? new byte[0] : event.metaData(),
                                                 byte[].class, MetaData.class.getName(), null),
                    eventSerializer);
            serialized.getPayload();
            serialized.getMetaData();
            return toEventMessage(event, serialized);
        } catch (RuntimeException e) {
            throw new UndeserializableLetterException(letterId, event.payloadType(), e);
        }
    }

    /** The metadata alone; needs no payload class. */
    MetaData readMetaData(UUID letterId, SerializedEvent event) {
        if (event.metaData() == null || event.metaData().length == 0) {
            return MetaData.emptyInstance();
        }
        try {
            return eventSerializer.deserialize(new SimpleSerializedObject<>(event.metaData(), byte[].class,
                                                                            MetaData.class.getName(), null));
        } catch (RuntimeException e) {
            throw new UndeserializableLetterException(letterId, event.payloadType(), e);
        }
    }

    private EventMessage<?> toEventMessage(SerializedEvent event, SerializedMessage<?> message) {
        Instant timestamp = event.timestamp();
        if (event.tokenType() != null) {
            TrackingToken token = genericSerializer.deserialize(
                    new SimpleSerializedObject<>(event.token(), byte[].class, event.tokenType(), null));
            if (event.aggregateIdentifier() != null) {
                return new GenericTrackedDomainEventMessage<>(token, event.aggregateType(),
                                                              event.aggregateIdentifier(),
                                                              event.aggregateSequenceNumber(), message,
                                                              () -> timestamp);
            }
            return new GenericTrackedEventMessage<>(token, message, () -> timestamp);
        }
        if (event.aggregateIdentifier() != null) {
            return new GenericDomainEventMessage<>(event.aggregateType(), event.aggregateIdentifier(),
                                                   event.aggregateSequenceNumber(), message, () -> timestamp);
        }
        return new GenericEventMessage<>(message, () -> timestamp);
    }

    byte[] serializeDiagnostics(MetaData diagnostics) {
        if (diagnostics == null || diagnostics.isEmpty()) {
            return null;
        }
        try {
            return genericSerializer.serialize(diagnostics, byte[].class).getData();
        } catch (RuntimeException e) {
            // Text a serializer cannot encode (a lone surrogate, for one) must not make the letter unstorable.
            Map<String, Object> cleaned = new HashMap<>();
            diagnostics.forEach((key, value) -> cleaned.put(
                    StoredText.clean(key), value instanceof String text ? StoredText.clean(text) : value));
            try {
                return genericSerializer.serialize(MetaData.from(cleaned), byte[].class).getData();
            } catch (RuntimeException again) {
                return genericSerializer.serialize(
                        MetaData.with("unserializableDiagnostics", StoredText.text(e.toString(), 1023)),
                        byte[].class).getData();
            }
        }
    }

    MetaData readDiagnostics(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return MetaData.emptyInstance();
        }
        return genericSerializer.deserialize(
                new SimpleSerializedObject<>(bytes, byte[].class, MetaData.class.getName(), null));
    }

    /** Both databases keep microseconds; truncating up front keeps in-memory and stored values equal. */
    static Instant truncate(Instant instant) {
        return instant == null ? null : instant.truncatedTo(ChronoUnit.MICROS);
    }
}
