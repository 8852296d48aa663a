package io.axondlq.spring.web;

import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.spring.AxonDlqProperties;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.Set;

/**
 * {@code GET /audit?actor=&action=&processingGroup=&from=&to=&limit=&cursor=}: operator actions, oldest first, keyset
 * paged, filtered on the server (exact actor, action and group; {@code from} inclusive, {@code to} exclusive).
 */
@RestController
// JSON only: a client that accepts no application/json (another +json flavour included) is refused with 406 by
// DeadLetterFallbackController, instead of getting the records from the host's converters or labelled as a problem.
@RequestMapping(value = "${axon.dlq.rest.base-path:/dead-letters}", produces = MediaType.APPLICATION_JSON_VALUE)
public class AuditController implements DeadLetterRestEndpoint {

    private static final Set<String> AUDIT_FILTERS = Set.of("actor", "action", "processingGroup", "from", "to");

    private final DeadLetterOperations operations;
    private final AxonDlqProperties properties;

    public AuditController(DeadLetterOperations operations, AxonDlqProperties properties) {
        this.operations = operations;
        this.properties = properties;
    }

    @GetMapping("/audit")
    public PageResponse<AuditEntryView> audit(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING, AUDIT_FILTERS);
        String actor = request.text("actor", RequestParameters.MAX_NAME_LENGTH);
        String action = request.text("action", RequestParameters.MAX_NAME_LENGTH);
        String processingGroup = request.text("processingGroup", RequestParameters.MAX_NAME_LENGTH);
        Instant from = request.instant("from");
        Instant to = request.instant("to");
        RequestParameters.checkRange(from, to);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        AuditFilter filter = new AuditFilter(actor, action, processingGroup, from, to);
        return PageResponse.of(operations.auditEntries(filter, limit, cursor), AuditEntryView::of);
    }
}
