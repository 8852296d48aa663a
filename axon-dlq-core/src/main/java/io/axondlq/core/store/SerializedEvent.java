package io.axondlq.core.store;

import java.time.Instant;
import java.util.Objects;

/**
 * An event exactly as stored: serialized bytes and the type names needed to read them back. Listing and export work
 * on this form, so a letter whose payload class no longer exists can still be shown and exported.
 *
 * @param messageType             Axon message class the event was handled as
 * @param aggregateSequenceNumber null unless the event is a domain event
 * @param tokenType               null unless the event was tracked
 */
public record SerializedEvent(String eventIdentifier,
                              String messageType,
                              String payloadType,
                              String payloadRevision,
                              byte[] payload,
                              byte[] metaData,
                              String aggregateType,
                              String aggregateIdentifier,
                              Long aggregateSequenceNumber,
                              String tokenType,
                              byte[] token,
                              Instant timestamp) {

    public SerializedEvent {
        Objects.requireNonNull(eventIdentifier, "eventIdentifier");
        Objects.requireNonNull(payloadType, "payloadType");
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(timestamp, "timestamp");
    }
}
