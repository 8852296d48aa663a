package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.operations.DeadLetterOperations;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /audit?limit=&cursor=}: every operator action, oldest first, keyset paged. */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class AuditController implements DeadLetterRestEndpoint {

    private final DeadLetterOperations operations;
    private final AxonDlqProperties properties;

    public AuditController(DeadLetterOperations operations, AxonDlqProperties properties) {
        this.operations = operations;
        this.properties = properties;
    }

    @GetMapping("/audit")
    public JsonNode audit(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        return ApiJson.page(operations.auditEntries(limit, cursor), AuditController::entry);
    }

    static ObjectNode entry(AuditEntry entry) {
        ObjectNode node = ApiJson.object();
        node.put("id", entry.id().toString());
        node.put("occurredAt", ApiJson.instant(entry.occurredAt()));
        node.put("actor", entry.actor());
        node.put("action", entry.action());
        node.put("processingGroup", entry.processingGroup());
        node.put("target", entry.target());
        node.set("parameters", parameters(entry.parameters()));
        node.put("outcome", entry.outcome());
        node.put("detail", entry.detail());
        return node;
    }

    private static JsonNode parameters(String parameters) {
        if (parameters == null) {
            return ApiJson.object().nullNode();
        }
        JsonNode json = LetterViews.json(parameters.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return json != null ? json : ApiJson.object().textNode(parameters);
    }
}
