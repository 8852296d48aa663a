package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A synchronous sequence redelivery stops after {@code axon.dlq.redelivery.max-letters-per-request} letters and
 * answers {@code LIMIT_REACHED} with the letters left, over real HTTP through every way to name a sequence; audit
 * readers see failure types, never failure messages.
 */
@TestPropertySource(properties = "axon.dlq.redelivery.max-letters-per-request=2")
class RedeliveryLimitRestApiTest extends RestApiTestSupport {

    @Test
    void aRedeliveryStopsAtTheLimitAndTheNextRequestGoesOnInOrder() {
        String account = poisoned("limited", 5);
        poison.cure(account);
        List<String> ids = letters(account).stream().map(l -> l.path("id").asText()).toList();

        JsonNode first = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));

        assertThat(first.path("outcome").asText()).isEqualTo("LIMIT_REACHED");
        assertThat(first.path("redelivered").asInt()).isEqualTo(2);
        assertThat(first.path("remaining").asLong()).isEqualTo(3);
        assertThat(first.path("stoppedAtLetterId").asText()).as("the first letter left").isEqualTo(ids.get(2));
        assertThat(letters(account)).extracting(l -> l.path("id").asText()).containsExactlyElementsOf(ids.subList(2, 5));
        assertThat(amounts(account)).containsExactly(100L, 101L);

        JsonNode second = ok(http.post("/letters/" + ids.get(2) + "/redeliver-sequence", null));
        assertThat(second.path("outcome").asText()).isEqualTo("LIMIT_REACHED");
        assertThat(second.path("remaining").asLong()).isEqualTo(1);

        store.evictGroup(GROUP);
        String oldest = poisoned("limited-oldest", 3);
        poison.cure(oldest);
        JsonNode third = ok(http.post("/processing-groups/ledger/redeliver-oldest", null));
        assertThat(third.path("outcome").asText()).isEqualTo("LIMIT_REACHED");
        assertThat(third.path("sequenceKey").asText()).isEqualTo(oldest);
        assertThat(third.path("remaining").asLong()).isEqualTo(1);
        JsonNode fourth = ok(http.post("/processing-groups/ledger/redeliver-oldest", null));
        assertThat(fourth.path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(amounts(oldest)).containsExactly(100L, 101L, 102L);
        assertThat(amounts(account)).as("evicted, not redelivered").containsExactly(100L, 101L, 102L, 103L);
    }

    @Test
    void auditReadersSeeTheFailureTypeNeverItsMessage() {
        String account = poisoned("audit-type", 2);
        String head = letters(account).get(0).path("id").asText();

        JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));

        assertThat(result.path("outcome").asText()).isEqualTo("FAILED");
        assertThat(result.path("failureMessage").asText()).as("the operator who redelivers is told why")
                                                          .contains("poisoned account");
        List<JsonNode> entries = all("/audit", 500).stream()
                                                   .filter(e -> e.path("target").asText().equals(account)
                                                           || e.path("target").asText().equals(head))
                                                   .toList();
        assertThat(entries).extracting(e -> e.path("action").asText())
                           .contains("redeliver-letter", "redeliver-sequence");
        assertThat(entries).allSatisfy(e -> assertThat(e.toString()).contains("java.lang.IllegalStateException")
                                                                    .doesNotContain("poisoned account"));
    }

    private List<Long> amounts(String account) {
        return jdbc.queryForList("SELECT amount FROM ledger_entry WHERE account_id = ? ORDER BY entry_id", Long.class,
                                 account);
    }
}
