package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.axondlq.core.audit.AuditEntry;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/**
 * One operator action of the audit log ({@code GET /audit}).
 *
 * @param parameters what the action was asked, as JSON (as text when it was not stored as JSON)
 */
public record AuditEntryView(UUID id, Instant occurredAt, String actor, String action, String processingGroup,
                             String target, JsonNode parameters, String outcome, String detail) {

    static AuditEntryView of(AuditEntry entry) {
        return new AuditEntryView(entry.id(), entry.occurredAt(), entry.actor(), entry.action(),
                                  entry.processingGroup(), entry.target(), parameters(entry.parameters()),
                                  entry.outcome(), entry.detail());
    }

    private static JsonNode parameters(String parameters) {
        if (parameters == null) {
            return null;
        }
        JsonNode json = ApiJson.json(parameters.getBytes(StandardCharsets.UTF_8));
        return json != null ? json : TextNode.valueOf(parameters);
    }
}
