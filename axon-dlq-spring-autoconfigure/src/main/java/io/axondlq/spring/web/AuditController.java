package io.axondlq.spring.web;

import io.axondlq.spring.AxonDlqProperties;
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
    public PageResponse<AuditEntryView> audit(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        return PageResponse.of(operations.auditEntries(limit, cursor), AuditEntryView::of);
    }
}
