package io.axondlq.jdbc;

import io.axondlq.core.store.SerializedEvent;
import org.axonframework.eventhandling.DomainEventData;
import org.axonframework.eventhandling.EventData;
import org.axonframework.eventhandling.TrackedEventData;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.SimpleSerializedType;

import java.time.Instant;

/**
 * A stored event in the shape an event store hands to Axon's upcasters ({@code InitialEventRepresentation}): domain
 * events with their aggregate, tracked events with their token, so upcasters that look at either see what they would
 * see reading the event store.
 */
class StoredEventData implements TrackedEventData<byte[]> {

    private final SerializedEvent event;
    private final TrackingToken token;

    private StoredEventData(SerializedEvent event, TrackingToken token) {
        this.event = event;
        this.token = token;
    }

    static EventData<byte[]> of(SerializedEvent event, TrackingToken token) {
        return event.aggregateIdentifier() == null ? new StoredEventData(event, token) : new Domain(event, token);
    }

    @Override
    public String getEventIdentifier() {
        return event.eventIdentifier();
    }

    @Override
    public Instant getTimestamp() {
        return event.timestamp();
    }

    @Override
    public SerializedObject<byte[]> getMetaData() {
        return new SimpleSerializedObject<>(event.metaData() == null ? new byte[0] : event.metaData(), byte[].class,
                                            MetaData.class.getName(), null);
    }

    @Override
    public SerializedObject<byte[]> getPayload() {
        return new SimpleSerializedObject<>(event.payload(), byte[].class,
                                            new SimpleSerializedType(event.payloadType(), event.payloadRevision()));
    }

    @Override
    public TrackingToken trackingToken() {
        return token;
    }

    private static final class Domain extends StoredEventData implements DomainEventData<byte[]> {

        private final SerializedEvent event;

        private Domain(SerializedEvent event, TrackingToken token) {
            super(event, token);
            this.event = event;
        }

        @Override
        public String getType() {
            return event.aggregateType();
        }

        @Override
        public String getAggregateIdentifier() {
            return event.aggregateIdentifier();
        }

        @Override
        public long getSequenceNumber() {
            return event.aggregateSequenceNumber() == null ? 0 : event.aggregateSequenceNumber();
        }
    }
}
