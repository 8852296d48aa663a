package io.axondlq.core.audit;

import java.time.Instant;

/**
 * Which audit entries a query selects. Every criterion is optional (null); they combine with AND.
 *
 * @param actor           exact match
 * @param action          exact match (for example {@code evict-letter})
 * @param processingGroup exact match
 * @param from            occurred at or after (inclusive)
 * @param to              occurred before (exclusive)
 */
public record AuditFilter(String actor, String action, String processingGroup, Instant from, Instant to) {

    private static final AuditFilter NONE = new AuditFilter(null, null, null, null, null);

    /** @throws IllegalArgumentException when a text criterion holds U+0000 (no entry does; PostgreSQL refuses it) */
    public AuditFilter {
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("'from' (" + from + ") must be before 'to' (" + to + ")");
        }
        requireNoNul("actor", actor);
        requireNoNul("action", action);
        requireNoNul("processingGroup", processingGroup);
    }

    private static void requireNoNul(String criterion, String value) {
        if (value != null && value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("'" + criterion + "' must not contain NUL characters");
        }
    }

    public static AuditFilter none() {
        return NONE;
    }
}
