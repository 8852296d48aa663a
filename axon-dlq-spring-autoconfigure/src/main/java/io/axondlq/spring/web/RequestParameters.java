package io.axondlq.spring.web;

import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.StoredText;
import org.springframework.util.MultiValueMap;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Strict reading of query parameters and path variables: unknown or repeated parameters, non-numeric or out-of-range
 * limits, unparseable or out-of-range dates, overlong or NUL-carrying strings are refused with 400 before anything
 * touches the store.
 */
final class RequestParameters {

    static final int DEFAULT_LIMIT = 50;
    static final int MAX_NAME_LENGTH = 255;
    static final int MAX_TYPE_LENGTH = 512;
    static final int MAX_KEY_LENGTH = 1024;
    static final int MAX_CURSOR_LENGTH = 4096;

    static final Set<String> PAGING = Set.of("limit", "cursor");
    static final Set<String> FILTERS = Set.of("sequence", "causeType", "payloadType", "from", "to");

    private static final Pattern CANONICAL_UUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private final MultiValueMap<String, String> values;

    private RequestParameters(MultiValueMap<String, String> values) {
        this.values = values;
    }

    /** @param allowed the parameter names the endpoint knows; any other name is refused */
    @SafeVarargs
    static RequestParameters of(MultiValueMap<String, String> values, Set<String>... allowed) {
        Set<String> unknown = new TreeSet<>(values.keySet());
        for (Set<String> names : allowed) {
            unknown.removeAll(names);
        }
        if (!unknown.isEmpty()) {
            String name = unknown.iterator().next();
            Set<String> known = new TreeSet<>();
            for (Set<String> names : allowed) {
                known.addAll(names);
            }
            String shown = StoredText.shorten(name, 80);
            throw DeadLetterApiException.badParameter(
                    shown, "Unknown parameter [" + shown + "]; this endpoint accepts "
                            + (known.isEmpty() ? "no parameters" : known));
        }
        return new RequestParameters(values);
    }

    /** The single value of a parameter, or null when absent. */
    String single(String name) {
        List<String> list = values.get(name);
        if (list == null || list.isEmpty()) {
            return null;
        }
        if (list.size() > 1) {
            throw DeadLetterApiException.badParameter(name, "Parameter [" + name + "] is given more than once");
        }
        return list.get(0);
    }

    /** A text parameter: absent or empty is null; NUL characters and overlong values are refused. */
    String text(String name, int maxLength) {
        String value = single(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        return checkText("Parameter", name, value, maxLength, DeadLetterApiException::badParameter);
    }

    /** Page size: default {@value #DEFAULT_LIMIT} (at most {@code max}); 1..max, else 400. */
    int limit(int max) {
        String value = single("limit");
        if (value == null) {
            return defaultLimit(max);
        }
        int limit;
        try {
            limit = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw DeadLetterApiException.badParameter("limit", "Parameter [limit] must be a whole number between 1 and "
                    + max + ", was [" + shorten(value) + "]");
        }
        if (limit < 1 || limit > max) {
            throw DeadLetterApiException.badParameter("limit", "Parameter [limit] must be between 1 and " + max
                    + " (axon.dlq.rest.max-page-size), was " + limit).with("maximum", max);
        }
        return limit;
    }

    /** The opaque cursor; its content is validated by whoever issued it. */
    String cursor() {
        String value = single("cursor");
        if (value == null) {
            return null;
        }
        if (value.isBlank()) {
            throw DeadLetterApiException.badParameter("cursor", "Parameter [cursor] must not be empty");
        }
        return checkText("Parameter", "cursor", value, MAX_CURSOR_LENGTH, DeadLetterApiException::badParameter);
    }

    /**
     * An ISO-8601 instant ({@code 2024-05-01T10:00:00Z}), offset date-time ({@code 2024-05-01T12:00:00+02:00}) or
     * date ({@code 2024-05-01}, start of day UTC).
     */
    Instant instant(String name) {
        String value = single(name);
        if (value == null || value.isEmpty()) {
            return null;
        }
        // An unencoded '+' (an offset, a signed year) arrives as a space from the query string; a date has no other
        // use for a space.
        Instant instant = ApiInstants.parse(value.stripTrailing().replace(' ', '+'));
        if (instant == null) {
            throw DeadLetterApiException.badParameter(name, "Parameter [" + name + "] must be an ISO-8601 instant "
                    + ApiInstants.RANGE + " such as 2024-05-01T10:00:00Z, was [" + shorten(value) + "]");
        }
        return instant;
    }

    /** The letter filter of listing and export: {@code sequence, causeType, payloadType, from, to}. */
    LetterFilter letterFilter() {
        String sequence = text("sequence", MAX_KEY_LENGTH);
        String causeType = text("causeType", MAX_TYPE_LENGTH);
        String payloadType = text("payloadType", MAX_TYPE_LENGTH);
        Instant from = instant("from");
        Instant to = instant("to");
        checkRange(from, to);
        return new LetterFilter(sequence, causeType, payloadType, from, to);
    }

    static void checkRange(Instant from, Instant to) {
        if (from != null && to != null && !from.isBefore(to)) {
            throw DeadLetterApiException.badParameter("from", "Parameter [from] (" + from + ") must be before [to] ("
                    + to + ")");
        }
    }

    /** The page size of a request without {@code limit}: {@value #DEFAULT_LIMIT}, at most {@code max}. */
    static int defaultLimit(int max) {
        return Math.min(DEFAULT_LIMIT, max);
    }

    // --- path variables -------------------------------------------------------------------------------------------

    static String groupName(String value) {
        if (value == null || value.isBlank()) {
            throw DeadLetterApiException.badPath("group", "The processing group name must not be empty");
        }
        return checkText("Path variable", "group", value, MAX_NAME_LENGTH, DeadLetterApiException::badPath);
    }

    static String sequenceKey(String value) {
        if (value == null || value.isEmpty()) {
            throw DeadLetterApiException.badPath("key", "The sequence key must not be empty");
        }
        return checkText("Path variable", "key", value, MAX_KEY_LENGTH, DeadLetterApiException::badPath);
    }

    static UUID uuid(String name, String value) {
        if (value == null || !CANONICAL_UUID.matcher(value).matches()) {
            throw DeadLetterApiException.badPath(name, "[" + name + "] must be a UUID such as "
                    + "3f2b8c1e-6d1a-4c55-9a57-0c2f5d0e6b11, was [" + shorten(value) + "]");
        }
        return UUID.fromString(value);
    }

    interface Refusal {
        DeadLetterApiException refuse(String name, String detail);
    }

    static String checkText(String kind, String name, String value, int maxLength, Refusal refusal) {
        if (value.length() > maxLength) {
            throw refusal.refuse(name, kind + " [" + name + "] is longer than " + maxLength + " characters");
        }
        if (value.indexOf('\0') >= 0) {
            throw refusal.refuse(name, kind + " [" + name + "] must not contain NUL characters");
        }
        return value;
    }

    /** A request value quoted in an error detail: printable, at most 64 characters. */
    static String shorten(String value) {
        return StoredText.shorten(value, 64);
    }
}
