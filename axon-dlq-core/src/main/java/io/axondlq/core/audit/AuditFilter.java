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

    public AuditFilter {
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("'from' (" + from + ") must be before 'to' (" + to + ")");
        }
    }

    public static AuditFilter none() {
        return NONE;
    }
}
