package io.axondlq.spring.web;

import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredLetter;

import java.time.Instant;
import java.util.UUID;

/**
 * What every view of a letter shows: where it is, which event it holds, how often it failed. Unwrapped into
 * {@link LetterSummary} and {@link LetterExport}.
 *
 * @param aggregate null unless the event is a domain event
 */
public record LetterFields(UUID id,
                           String processingGroup,
                           String sequenceKey,
                           long sequenceIndex,
                           String eventIdentifier,
                           String messageType,
                           String payloadType,
                           String payloadRevision,
                           AggregateView aggregate,
                           Instant eventTimestamp,
                           Instant enqueuedAt,
                           Instant lastTouched,
                           int attempts,
                           boolean parked,
                           String correlationId,
                           String traceId) {

    /** The aggregate a domain event belongs to. */
    public record AggregateView(String type, String identifier, Long sequenceNumber) {
    }

    static LetterFields of(StoredLetter letter) {
        SerializedEvent event = letter.event();
        AggregateView aggregate = event.aggregateIdentifier() == null ? null
                : new AggregateView(event.aggregateType(), event.aggregateIdentifier(),
                                    event.aggregateSequenceNumber());
        return new LetterFields(letter.id(), letter.processingGroup(), letter.sequenceKey(), letter.sequenceIndex(),
                                event.eventIdentifier(), event.messageType(), event.payloadType(),
                                event.payloadRevision(), aggregate, event.timestamp(), letter.enqueuedAt(),
                                letter.lastTouched(), letter.attempts(), letter.parked(),
                                letter.correlationId().orElse(null), letter.traceId().orElse(null));
    }
}
