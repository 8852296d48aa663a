package io.axondlq.core.audit;

import java.time.Instant;
import java.util.UUID;

/**
 * One operator action: who did what, with which parameters, when, and how it ended.
 *
 * @param action     e.g. {@code redeliver-sequence}, {@code evict-letter}, {@code export}, {@code create-retry-job}
 * @param parameters the request's parameters as JSON
 * @param outcome    {@code success}, {@code failure}, {@code rejected}; {@code started} for an export still running
 *                   (or cut off by a crash)
 */
public record AuditEntry(UUID id, Instant occurredAt, String actor, String action, String processingGroup,
                         String target, String parameters, String outcome, String detail) {
}
