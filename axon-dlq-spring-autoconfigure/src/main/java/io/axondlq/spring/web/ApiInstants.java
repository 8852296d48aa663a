package io.axondlq.spring.web;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The instants the API accepts in filters (query parameters and retry job bodies): an ISO-8601 instant
 * ({@code 2024-05-01T10:00:00Z}), offset date-time ({@code 2024-05-01T12:00:00+02:00}) or date ({@code 2024-05-01},
 * start of day UTC), in years 1 to 9999, which every supported database stores (a larger year was a 500).
 */
final class ApiInstants {

    static final Instant MIN = Instant.parse("0001-01-01T00:00:00Z");
    static final Instant MAX = Instant.parse("9999-12-31T23:59:59.999999999Z");
    static final String RANGE = "between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z";

    private ApiInstants() {
    }

    /** The instant, or null when the text is not one or lies outside {@link #MIN}..{@link #MAX}. */
    static Instant parse(String value) {
        Instant instant = parseAnyInstant(value.trim());
        return instant == null || instant.isBefore(MIN) || instant.isAfter(MAX) ? null : instant;
    }

    private static Instant parseAnyInstant(String value) {
        try {
            return Instant.parse(value);
        } catch (DateTimeException ignored) {
            // next format
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeException ignored) {
            // next format
        }
        try {
            return LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeException ignored) {
            return null;
        }
    }
}
