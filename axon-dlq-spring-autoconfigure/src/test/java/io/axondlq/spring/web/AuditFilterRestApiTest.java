package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditLog;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /audit} filters on the server over real HTTP: exact actor, action and processing group, a time range,
 * paging that keeps the filter, and 400 problems for bad dates and unknown parameters. Entries are written under
 * actors of their own so that the other tests' entries in the shared database never match.
 */
class AuditFilterRestApiTest extends RestApiTestSupport {

    @Autowired
    AuditLog auditLog;

    @Test
    void filtersByActorActionGroupAndTimeAndPagesWithTheFilter() {
        String alice = "alice-" + UUID.randomUUID();
        String bob = "bob-" + UUID.randomUUID();
        AuditEntry a1 = auditLog.record(alice, "evict-letter", "ledger", "a1", null, "success", null);
        AuditEntry b1 = auditLog.record(bob, "evict-letter", "billing", "b1", null, "success", null);
        AuditEntry a2 = auditLog.record(alice, "redeliver-letter", "ledger", "a2", null, "success", null);
        AuditEntry a3 = auditLog.record(alice, "evict-letter", "billing", "a3", null, "success", null);
        AuditEntry a4 = auditLog.record(alice, "evict-letter", "ledger", "a4", null, "success", null);

        assertThat(targets("/audit?actor=" + Http.encode(alice))).containsExactly("a1", "a2", "a3", "a4");
        assertThat(targets("/audit?actor=" + Http.encode(alice) + "&action=evict-letter"))
                .containsExactly("a1", "a3", "a4");
        assertThat(targets("/audit?actor=" + Http.encode(alice) + "&action=evict-letter&processingGroup=ledger"))
                .containsExactly("a1", "a4");
        assertThat(targets("/audit?actor=" + Http.encode(bob) + "&processingGroup=billing")).containsExactly("b1");
        assertThat(targets("/audit?actor=" + Http.encode(bob) + "&action=redeliver-letter")).isEmpty();

        // Entries are written microseconds apart at least; from is inclusive, to exclusive.
        String from = Http.encode(a2.occurredAt().toString());
        String to = Http.encode(a4.occurredAt().toString());
        assertThat(targets("/audit?actor=" + Http.encode(alice) + "&from=" + from + "&to=" + to))
                .containsExactly("a2", "a3");
        assertThat(targets("/audit?actor=" + Http.encode(alice) + "&to="
                                   + Http.encode(b1.occurredAt().toString()))).containsExactly("a1");
        assertThat(a1.occurredAt()).isBefore(a2.occurredAt());

        // One entry per page: every next page carries the same filter's entries only.
        JsonNode first = ok(http.get("/audit?actor=" + Http.encode(alice) + "&action=evict-letter&limit=1"));
        assertThat(first.path("items")).singleElement()
                                       .satisfies(e -> assertThat(e.path("target").asText()).isEqualTo("a1"));
        List<JsonNode> paged = all("/audit?actor=" + Http.encode(alice) + "&action=evict-letter", 1);
        assertThat(paged).extracting(e -> e.path("target").asText()).containsExactly("a1", "a3", "a4");
    }

    @Test
    void anOperationThroughTheApiIsFoundByItsActionAndActor() {
        String account = poisoned("audit-filter", 1);
        String letterId = letters(account).get(0).path("id").asText();
        assertThat(http.delete("/letters/" + letterId).status()).isBetween(200, 299);

        List<JsonNode> entries = all("/audit?actor=" + OPERATOR + "&action=evict-letter&processingGroup=" + GROUP, 100);
        assertThat(entries).extracting(e -> e.path("target").asText()).contains(letterId);
        assertThat(entries).allSatisfy(e -> {
            assertThat(e.path("actor").asText()).isEqualTo(OPERATOR);
            assertThat(e.path("action").asText()).isEqualTo("evict-letter");
            assertThat(e.path("processingGroup").asText()).isEqualTo(GROUP);
        });
    }

    @Test
    void badDatesRangesAndUnknownParametersAreRefusedWith400() {
        for (String query : List.of("from=yesterday", "to=2024-13-01T00:00:00Z", "from=0000-12-31T23:59:59Z",
                                    "from=%2B10000-01-01T00:00:00Z",
                                    "from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z",
                                    "from=2024-01-01&to=2024-01-01", "actor=a&actor=b")) {
            JsonNode body = problem(http.get("/audit?" + query), 400);
            assertThat(body.path("type").asText()).as(query).isEqualTo("urn:axon-dlq:problem:invalid-parameter");
        }
        JsonNode unknown = problem(http.get("/audit?outcome=success"), 400);
        assertThat(unknown.path("type").asText()).isEqualTo("urn:axon-dlq:problem:invalid-parameter");
        assertThat(unknown.path("parameter").asText()).isEqualTo("outcome");
        assertThat(unknown.path("detail").asText()).contains("processingGroup", "actor", "action", "from", "to");

        // A date alone is the start of that day (UTC), as in the letters listing.
        ok(http.get("/audit?from=2024-05-01&to=" + Http.encode(Instant.now().toString())));
    }

    private List<String> targets(String path) {
        return all(path, 100).stream().map(e -> e.path("target").asText()).toList();
    }
}
