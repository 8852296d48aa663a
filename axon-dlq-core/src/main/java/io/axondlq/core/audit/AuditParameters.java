package io.axondlq.core.audit;

import io.axondlq.core.store.LetterFilter;

import java.time.Instant;
import java.util.Locale;

/**
 * Builds an audit entry's parameters, a flat JSON object of texts (and the filter of an export as a nested object),
 * without a JSON library: core has none at run time.
 */
public final class AuditParameters {

    private final StringBuilder json = new StringBuilder("{");

    private AuditParameters() {
    }

    public static AuditParameters of() {
        return new AuditParameters();
    }

    public AuditParameters put(String name, String value) {
        return raw(name, value == null ? "null" : quote(value));
    }

    public AuditParameters put(String name, LetterFilter filter) {
        if (filter == null) {
            return raw(name, "null");
        }
        return raw(name, of().put("sequenceKey", filter.sequenceKey())
                             .put("causeType", filter.causeType())
                             .put("payloadType", filter.payloadType())
                             .put("from", text(filter.from()))
                             .put("to", text(filter.to()))
                             .json());
    }

    public String json() {
        return json + "}";
    }

    @Override
    public String toString() {
        return json();
    }

    private AuditParameters raw(String name, String value) {
        if (json.length() > 1) {
            json.append(',');
        }
        json.append(quote(name)).append(':').append(value);
        return this;
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    private static String quote(String value) {
        StringBuilder out = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }
}
