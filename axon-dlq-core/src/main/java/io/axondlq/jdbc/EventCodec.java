package io.axondlq.jdbc;

import io.axondlq.core.store.EventReader;
import io.axondlq.core.store.LetterReadability;
import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredText;
import io.axondlq.core.store.UndeserializableLetterException;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.GenericTrackedDomainEventMessage;
import org.axonframework.eventhandling.GenericTrackedEventMessage;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.LazyDeserializingObject;
import org.axonframework.serialization.SerializedMessage;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.SerializedType;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.UnknownSerializedType;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.axonframework.serialization.upcasting.event.InitialEventRepresentation;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Converts events and diagnostics to and from their stored form. Payloads that arrive already serialized (events
 * read from an event store) are copied as they are, not deserialized and serialized again.
 * <p>
 * Reading a letter fails only with {@link UndeserializableLetterException}: besides runtime exceptions, a
 * {@link LinkageError} (a payload class whose static initializer fails, or that needs a missing class) and a
 * {@link StackOverflowError} (data nested too deep) are properties of the stored letter, so they make it unreadable
 * rather than escape to the thread that reads it (a background job's, which they would stop).
 * <p>
 * The tracking token is not part of what makes a letter readable: a token the general serializer cannot read (it was
 * written by another one, e.g. before {@code axon.serializer.general} moved from XStream to Jackson, and no upcaster
 * converts tokens) is logged and the letter is read as an untracked event, exactly as a letter stored without a token
 * is. Every read agrees on this: the views ({@link #readability}) and redelivery ({@link #readAll}).
 */
final class EventCodec implements EventReader {

    private static final Logger logger = LoggerFactory.getLogger(EventCodec.class);

    private final Serializer eventSerializer;
    private final Serializer genericSerializer;
    /** The application's upcaster chain, looked up when first needed (it is built with Axon's configuration). */
    private final Supplier<? extends EventUpcaster> upcasters;

    EventCodec(Serializer eventSerializer, Serializer genericSerializer) {
        this(eventSerializer, genericSerializer, () -> null);
    }

    /** @param upcasters supplies the upcaster chain, or null when letters are read as they were stored */
    EventCodec(Serializer eventSerializer, Serializer genericSerializer, Supplier<? extends EventUpcaster> upcasters) {
        this.eventSerializer = Objects.requireNonNull(eventSerializer, "eventSerializer");
        this.genericSerializer = Objects.requireNonNull(genericSerializer, "genericSerializer");
        this.upcasters = Objects.requireNonNull(upcasters, "upcasters");
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
                    genericSerializer.serialize(storableToken(tracked.trackingToken()), byte[].class);
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
    @Override
    public EventMessage<?> read(UUID letterId, SerializedEvent event) {
        List<EventMessage<?>> messages = readAll(letterId, event);
        if (messages.size() != 1) {
            throw new UndeserializableLetterException(
                    letterId, event.payloadType(),
                    "payload type " + stored(event) + " is upcast to " + messages.size() + " events; only "
                            + "axon-dlq's redelivery handles a letter that is not exactly one event", null);
        }
        return messages.get(0);
    }

    /**
     * With an upcaster chain, the stored event goes through it as an event store's events do (one stored event, in
     * the shape of the event store's entries), then every resulting event is deserialized. Without one, the stored
     * event is read as it is.
     */
    @Override
    public List<EventMessage<?>> readAll(UUID letterId, SerializedEvent event) {
        EventUpcaster chain = upcasters.get();
        if (chain == null) {
            return List.of(readAsStored(letterId, event));
        }
        TrackingToken token = token(letterId, event, true);
        List<IntermediateEventRepresentation> upcast = upcast(letterId, event, token, chain);
        List<EventMessage<?>> messages = new ArrayList<>(upcast.size());
        for (IntermediateEventRepresentation representation : upcast) {
            requireClass(letterId, event, representation.getType(), upcast);
            try {
                SerializedMessage<?> serialized = new SerializedMessage<>(
                        representation.getMessageIdentifier(),
                        new LazyDeserializingObject<>(representation.getData(), eventSerializer),
                        representation.getMetaData());
                serialized.getPayload();
                serialized.getMetaData();
                messages.add(toEventMessage(event, serialized, token));
            } catch (RuntimeException | LinkageError | StackOverflowError e) {
                throw new UndeserializableLetterException(
                        letterId, event.payloadType(),
                        "payload type " + stored(event) + upcastNote(event, upcast) + " cannot be read: "
                                + e.getMessage(), e);
            }
        }
        return messages;
    }

    /**
     * Types only: upcasts (converting payloads only where an upcaster changes them) and looks the classes up. The
     * token rule is {@link #readAll}'s on both branches: an unreadable token never makes the letter unreadable (with a
     * chain the upcasters see no token, as they would on the redelivery; without one the token is not needed here).
     */
    @Override
    public LetterReadability readability(UUID letterId, SerializedEvent event) {
        EventUpcaster chain = upcasters.get();
        List<LetterReadability.PayloadType> types = new ArrayList<>();
        try {
            if (chain == null) {
                types.add(new LetterReadability.PayloadType(event.payloadType(), event.payloadRevision()));
                requireClass(letterId, event, new SimpleSerializedType(event.payloadType(), event.payloadRevision()),
                             List.of());
            } else {
                List<IntermediateEventRepresentation> upcast =
                        upcast(letterId, event, token(letterId, event, false), chain);
                upcast.forEach(r -> types.add(typeOf(r.getType())));
                for (IntermediateEventRepresentation representation : upcast) {
                    requireClass(letterId, event, representation.getType(), upcast);
                }
            }
            return LetterReadability.readable(types);
        } catch (UndeserializableLetterException e) {
            return LetterReadability.unreadable(e.reason(), types);
        }
    }

    private EventMessage<?> readAsStored(UUID letterId, SerializedEvent event) {
        SimpleSerializedType payloadType = new SimpleSerializedType(event.payloadType(), event.payloadRevision());
        requireClass(letterId, event, payloadType, List.of());
        try {
            SerializedMessage<?> serialized = new SerializedMessage<>(
                    event.eventIdentifier(),
                    new SimpleSerializedObject<>(event.payload(), byte[].class, payloadType),
                    new SimpleSerializedObject<>(event.metaData() == null ? new byte[0] : event.metaData(),
                                                 byte[].class, MetaData.class.getName(), null),
                    eventSerializer);
            serialized.getPayload();
            serialized.getMetaData();
            return toEventMessage(event, serialized, token(letterId, event, true));
        } catch (UndeserializableLetterException e) {
            throw e;
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            throw new UndeserializableLetterException(letterId, event.payloadType(), e);
        }
    }

    /** The metadata alone; needs no payload class. */
    @Override
    public MetaData readMetaData(UUID letterId, SerializedEvent event) {
        if (event.metaData() == null || event.metaData().length == 0) {
            return MetaData.emptyInstance();
        }
        try {
            return eventSerializer.deserialize(new SimpleSerializedObject<>(event.metaData(), byte[].class,
                                                                            MetaData.class.getName(), null));
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            throw new UndeserializableLetterException(letterId, event.payloadType(), e);
        }
    }

    private List<IntermediateEventRepresentation> upcast(UUID letterId, SerializedEvent event, TrackingToken token,
                                                         EventUpcaster chain) {
        try {
            IntermediateEventRepresentation initial =
                    new InitialEventRepresentation(StoredEventData.of(event, token), eventSerializer);
            return chain.upcast(Stream.of(initial)).toList();
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            throw new UndeserializableLetterException(
                    letterId, event.payloadType(),
                    "payload type " + stored(event) + " cannot be read: the upcaster chain failed: " + e, e);
        }
    }

    /** Fails with the operator's reason when the (upcast) type has no class in this application. */
    private void requireClass(UUID letterId, SerializedEvent event, SerializedType type,
                              List<IntermediateEventRepresentation> upcast) {
        Class<?> payloadClass;
        RuntimeException failure = null;
        try {
            payloadClass = eventSerializer.classForType(type);
        } catch (RuntimeException e) {
            payloadClass = UnknownSerializedType.class;
            failure = e;
        } catch (LinkageError e) {
            // Found but unusable (its static initializer failed, a class it needs is missing): Jackson's lookup
            // initializes the class. The letter is unreadable like any other, not an error of whoever reads it.
            throw new UndeserializableLetterException(
                    letterId, event.payloadType(),
                    "payload type " + stored(event) + (upcast.isEmpty() ? "" : upcastNote(event, upcast))
                            + " cannot be read: class " + type.getName() + " cannot be loaded: " + e, e);
        }
        if (!UnknownSerializedType.class.equals(payloadClass)) {
            return;
        }
        boolean unchanged = upcast.isEmpty() || (upcast.size() == 1 && typeOf(type).equals(storedType(event)));
        String reason = "payload type " + stored(event) + " cannot be read: "
                + (unchanged ? "class not found and no upcaster changes it"
                : "the upcaster chain makes it " + typesOf(upcast) + " and class " + typeOf(type)
                        + " is not found");
        throw new UndeserializableLetterException(letterId, event.payloadType(), reason, failure);
    }

    /**
     * The letter's tracking token, or null when it has none or when it cannot be read: then the letter reads as an
     * untracked event (domain or generic, by its aggregate fields), as a letter stored without a token does. The
     * token is incidental to handling the event again, and no upcaster can convert it, so it must not keep the
     * sequence parked (I6).
     *
     * @param warn whether an unreadable token is logged at WARN (reads of the event, i.e. redelivery and the detail)
     *             or at DEBUG (the readability checks of listings and exports, which would repeat it on every page)
     */
    private TrackingToken token(UUID letterId, SerializedEvent event, boolean warn) {
        if (event.tokenType() == null) {
            return null;
        }
        try {
            return asReplay(genericSerializer.deserialize(
                    new SimpleSerializedObject<>(event.token() == null ? new byte[0] : event.token(), byte[].class,
                                                 event.tokenType(), null)));
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            String message = "Dead letter [{}] (event [{}]): its tracking token of type [{}] cannot be read by the "
                    + "general serializer ({}); the letter is read as an untracked event, as a letter stored "
                    + "without a token is. Handlers that need the token (a TrackingToken or @ReplayContext "
                    + "parameter) do not match it, and it does not count as a replay";
            if (warn) {
                logger.warn(message, letterId, event.eventIdentifier(), event.tokenType(), rootCause(e));
            } else {
                logger.debug(message, letterId, event.eventIdentifier(), event.tokenType(), rootCause(e));
            }
            return null;
        }
    }

    /**
     * A {@link ReplayToken} says whether its message is a replay in a transient field, which XStream and Java
     * serialization do not restore (Jackson's creator sets it to true): only a replayed event's replay token is
     * stored, and read back as a replay; a new event handled during a replay is stored with its plain token.
     */
    private static TrackingToken storableToken(TrackingToken token) {
        return token instanceof ReplayToken replay && !ReplayToken.isReplay(replay) ? replay.getCurrentToken() : token;
    }

    /** A stored replay token is a replay (see {@link #storableToken}), whichever serializer read it. */
    private static TrackingToken asReplay(TrackingToken token) {
        if (token instanceof ReplayToken replay && !ReplayToken.isReplay(replay)) {
            return ReplayToken.createReplayToken(replay.getTokenAtReset(), replay.getCurrentToken(), replay.context());
        }
        return token;
    }

    private static String rootCause(Throwable e) {
        Throwable root = e;
        for (int depth = 0; root.getCause() != null && root.getCause() != root && depth < 16; depth++) {
            root = root.getCause();
        }
        String text = root == e ? e.toString() : e.getMessage() + ": " + root;
        // A parser's message may quote the stored bytes over several lines: one line, bounded, in the log.
        text = text.replaceAll("\\s+", " ");
        return text.length() > 500 ? text.substring(0, 500) + "..." : text;
    }

    private static LetterReadability.PayloadType storedType(SerializedEvent event) {
        return new LetterReadability.PayloadType(event.payloadType(), event.payloadRevision());
    }

    private static String stored(SerializedEvent event) {
        return storedType(event).toString();
    }

    private static LetterReadability.PayloadType typeOf(SerializedType type) {
        return new LetterReadability.PayloadType(type.getName(), type.getRevision());
    }

    private static String typesOf(List<IntermediateEventRepresentation> upcast) {
        return upcast.stream().map(r -> typeOf(r.getType()).toString()).collect(Collectors.joining(", "));
    }

    private static String upcastNote(SerializedEvent event, List<IntermediateEventRepresentation> upcast) {
        boolean unchanged = upcast.size() == 1 && typeOf(upcast.get(0).getType()).equals(storedType(event));
        return unchanged ? "" : " (upcast to " + typesOf(upcast) + ")";
    }

    private EventMessage<?> toEventMessage(SerializedEvent event, SerializedMessage<?> message, TrackingToken token) {
        Instant timestamp = event.timestamp();
        if (token != null) {
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
