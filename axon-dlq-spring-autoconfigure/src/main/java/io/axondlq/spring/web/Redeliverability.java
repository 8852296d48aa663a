package io.axondlq.spring.web;

import io.axondlq.core.store.LetterReadability;

import java.util.List;

/**
 * Whether redelivery can read the letter, after the application's upcaster chain, and what it hands the handlers:
 * {@code redeliveredAs} lists the payload types in order (none: an upcaster drops the event and redelivery resolves
 * the letter; several: one splits it). Listings check types only; the detail deserializes too.
 */
public record Redeliverability(boolean redeliverable, String notRedeliverableReason,
                               List<PayloadTypeName> redeliveredAs) {

    /** A payload type redelivery hands the handlers. */
    public record PayloadTypeName(String payloadType, String payloadRevision) {
    }

    static Redeliverability of(LetterReadability readability) {
        return new Redeliverability(readability.readable(), readability.reason(),
                                    readability.payloadTypes().stream()
                                               .map(t -> new PayloadTypeName(t.name(), t.revision())).toList());
    }

    /** The payload cannot be deserialized (found by the detail): redelivery would answer UNREADABLE. */
    Redeliverability unreadable(String reason) {
        return new Redeliverability(false, reason, redeliveredAs);
    }
}
