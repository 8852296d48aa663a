package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.spring.web.testapp.AccountCredited;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.upcasting.event.EventMultiUpcaster;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.axonframework.serialization.upcasting.event.IntermediateEventRepresentation;
import org.axonframework.serialization.upcasting.event.SingleEventUpcaster;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;

import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Letters stored with payload types this application no longer has, read through the application's
 * {@link EventUpcaster} beans (Axon's upcaster chain): the REST API says which letters are redeliverable and why not,
 * redelivers the upcast events, resolves the letters an upcaster drops (audited), and keeps answering
 * {@code UNREADABLE} with the reason for the others.
 */
@Import(UpcastingRestApiTest.LegacyUpcasters.class)
class UpcastingRestApiTest extends RestApiTestSupport {

    static final String LEGACY = "com.example.LegacyCredit";
    static final String CANCELLED = "com.example.CancelledCredit";
    static final String GONE = "com.example.GoneCredit";

    /** The second release's upcasters: a renamed event, and one that no longer exists (dropped). */
    @TestConfiguration
    static class LegacyUpcasters {

        @Bean
        EventUpcaster legacyCreditUpcaster() {
            return new SingleEventUpcaster() {
                @Override
                protected boolean canUpcast(IntermediateEventRepresentation ir) {
                    return ir.getType().equals(new SimpleSerializedType(LEGACY, "1"));
                }

                @Override
                protected IntermediateEventRepresentation doUpcast(IntermediateEventRepresentation ir) {
                    return ir.upcast(new SimpleSerializedType(AccountCredited.class.getName(), null), JsonNode.class,
                                     node -> ((ObjectNode) node.deepCopy()).put("note", "upcast from legacy"),
                                     metaData -> metaData);
                }
            };
        }

        @Bean
        EventUpcaster cancelledCreditDropper() {
            return new EventMultiUpcaster() {
                @Override
                protected boolean canUpcast(IntermediateEventRepresentation ir) {
                    return ir.getType().getName().equals(CANCELLED);
                }

                @Override
                protected Stream<IntermediateEventRepresentation> doUpcast(IntermediateEventRepresentation ir) {
                    return Stream.empty();
                }
            };
        }
    }

    @Test
    void upcastLettersAreRedeliverableAndRedeliveredDroppedOnesResolvedAndAudited() {
        String account = poisoned("upcast", 3);
        poison.cure(account);
        List<JsonNode> stored = letters(account);
        storeAs(stored.get(0), LEGACY, "1");
        storeAs(stored.get(1), CANCELLED, "1");
        storeAs(stored.get(2), LEGACY, "1");

        JsonNode detail = ok(http.get("/letters/" + stored.get(0).path("id").asText()));
        assertThat(detail.path("payloadType").asText()).as("the stored letter is not rewritten").isEqualTo(LEGACY);
        assertThat(detail.path("redeliverable").asBoolean()).isTrue();
        assertThat(detail.path("notRedeliverableReason").isNull()).isTrue();
        assertThat(detail.path("deserializable").asBoolean()).isTrue();
        assertThat(detail.path("redeliveredAs")).hasSize(1);
        assertThat(detail.path("redeliveredAs").get(0).path("payloadType").asText())
                .isEqualTo(AccountCredited.class.getName());
        List<JsonNode> listed = letters(account);
        assertThat(listed).extracting(l -> l.path("redeliverable").asBoolean()).containsExactly(true, true, true);
        assertThat(listed.get(1).path("redeliveredAs")).as("dropped by the upcaster").isEmpty();

        JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));

        assertThat(result.path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(result.path("redelivered").asInt()).isEqualTo(2);
        assertThat(result.path("droppedByUpcaster")).extracting(JsonNode::asText)
                                                    .containsExactly(stored.get(1).path("id").asText());
        assertThat(jdbc.queryForList("SELECT note FROM ledger_entry WHERE account_id = ?", String.class, account))
                .containsExactly("upcast from legacy", "upcast from legacy");
        JsonNode audit = lastAudit("redeliver-sequence", account);
        assertThat(audit.path("detail").asText()).contains("1 letter(s) dropped by the upcaster chain")
                                                 .contains(stored.get(1).path("id").asText());
    }

    @Test
    void aLetterNoUpcasterChangesIsNotRedeliverableAndRedeliveryKeepsAnsweringUnreadable() {
        String account = poisoned("gone", 1);
        poison.cure(account);
        JsonNode letter = letters(account).get(0);
        storeAs(letter, GONE, "7");
        String reason = "payload type " + GONE + " revision 7 cannot be read: class not found and no upcaster "
                + "changes it";

        JsonNode detail = ok(http.get("/letters/" + letter.path("id").asText()));
        assertThat(detail.path("redeliverable").asBoolean()).isFalse();
        assertThat(detail.path("notRedeliverableReason").asText()).isEqualTo(reason);
        assertThat(letters(account).get(0).path("notRedeliverableReason").asText()).isEqualTo(reason);

        for (int attempt = 0; attempt < 2; attempt++) {
            JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));
            assertThat(result.path("outcome").asText()).isEqualTo("UNREADABLE");
            assertThat(result.path("failureMessage").asText()).contains(reason);
            assertThat(result.path("remaining").asInt()).isEqualTo(1);
        }
        assertThat(letters(account)).hasSize(1);
    }

    private void storeAs(JsonNode letter, String payloadType, String revision) {
        jdbc.update("UPDATE axon_dlq_letter SET payload_type = ?, payload_revision = ? WHERE letter_id = ?",
                    payloadType, revision, UUID.fromString(letter.path("id").asText()));
    }

    private JsonNode lastAudit(String action, String target) {
        List<JsonNode> entries = all("/audit", 500);
        for (int i = entries.size() - 1; i >= 0; i--) {
            JsonNode entry = entries.get(i);
            if (entry.path("action").asText().equals(action) && target.equals(entry.path("target").asText())) {
                return entry;
            }
        }
        throw new AssertionError("No audit entry " + action + " for " + target + " in " + entries);
    }
}
