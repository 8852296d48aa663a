package io.axondlq.core.store;

import java.time.Instant;

/**
 * Which letters of a processing group an operator query selects. Every criterion is optional; they combine with AND.
 *
 * @param sequenceKey encoded sequence key, exact match
 * @param causeType   fully qualified exception type, exact match
 * @param payloadType serialized payload type name, exact match
 * @param from        enqueued at or after (inclusive)
 * @param to          enqueued before (exclusive)
 */
public record LetterFilter(String sequenceKey, String causeType, String payloadType, Instant from, Instant to) {

    private static final LetterFilter NONE = new LetterFilter(null, null, null, null, null);

    /**
     * @throws IllegalArgumentException when {@code from} is not before {@code to}, or a text criterion holds U+0000
     *                                  (no stored letter's does; PostgreSQL refuses it with a driver error), so that
     *                                  such a filter never reaches the database, whoever builds it
     */
    public LetterFilter {
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("'from' (" + from + ") must be before 'to' (" + to + ")");
        }
        requireNoNul("sequenceKey", sequenceKey);
        requireNoNul("causeType", causeType);
        requireNoNul("payloadType", payloadType);
    }

    private static void requireNoNul(String criterion, String value) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + criterion + "' must not contain NUL characters");
        }
    }

    public static LetterFilter none() {
        return NONE;
    }

    public LetterFilter withSequenceKey(String sequenceKey) {
        return new LetterFilter(sequenceKey, causeType, payloadType, from, to);
    }
}
