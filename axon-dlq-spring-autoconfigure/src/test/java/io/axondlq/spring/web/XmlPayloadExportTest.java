package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.spring.web.testapp.XmlPayload;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Letters stored with XStream (Axon's default event serializer): their payloads are XML, not JSON. An export shows
 * such a payload as stored (base64, and as text) and whether redelivery can read it from the types alone, as listings
 * do: it never deserializes a payload, so an export of a million letters does not run a million deserializations.
 * Only the detail of one letter deserializes, and says so when that fails. On the test application's H2.
 */
@TestPropertySource(properties = "axon.serializer.events=xstream")
class XmlPayloadExportTest extends RestApiTestSupport {

    @Test
    void anExportShowsXmlPayloadsAsStoredWithoutDeserializingThem() throws Exception {
        String group = "xml-" + UUID.randomUUID().toString().substring(0, 8);
        store.enqueue(group, LetterDraft.failed("order-1", GenericEventMessage.asEventMessage(
                new XmlPayload("order-1", false)), new IllegalStateException("boom"), List.of()));
        store.enqueue(group, LetterDraft.failed("order-2", GenericEventMessage.asEventMessage(
                new XmlPayload("order-2", true)), new IllegalStateException("boom"), List.of()));
        XmlPayload.DESERIALIZED.set(0);

        for (String format : List.of("ndjson", "json")) {
            Http.Response export = http.get("/processing-groups/" + group + "/export?format=" + format);
            assertThat(export.status()).as(export.toString()).isEqualTo(200);
            assertThat(XmlPayload.DESERIALIZED).as("payloads deserialized by the " + format + " export").hasValue(0);
            List<JsonNode> letters = format.equals("json") ? list(export.json()) : Http.lines(export.body()).stream()
                    .map(RestApiTestSupportJson::read).toList();
            assertThat(letters).hasSize(2);
            for (JsonNode letter : letters) {
                String orderId = letter.path("sequenceKey").asText();
                assertThat(letter.path("payloadType").asText()).isEqualTo(XmlPayload.class.getName());
                assertThat(letter.path("payloadFormat").asText()).isEqualTo("base64");
                String text = letter.path("payloadText").asText();
                assertThat(text).startsWith("<" + XmlPayload.class.getName() + ">").contains(orderId);
                assertThat(new String(Base64.getDecoder().decode(letter.path("payload").asText()),
                                      StandardCharsets.UTF_8)).isEqualTo(text);
                assertThat(letter.path("payloadReason").asText()).startsWith("the stored payload is not JSON")
                                                                 .doesNotContain("deserialized");
                // from the types, as a listing tells it
                assertThat(letter.path("redeliverable").asBoolean()).as(letter.toString()).isTrue();
                assertThat(letter.path("redeliveredAs").get(0).path("payloadType").asText())
                        .isEqualTo(XmlPayload.class.getName());
            }
        }

        // The detail of one letter deserializes: that is where a payload that no longer fits its class shows.
        JsonNode readable = ok(http.get("/letters/" + letterId(group, "order-1")));
        assertThat(readable.path("deserializable").asBoolean()).isTrue();
        assertThat(readable.path("redeliverable").asBoolean()).isTrue();
        JsonNode unreadable = ok(http.get("/letters/" + letterId(group, "order-2")));
        assertThat(unreadable.path("deserializable").asBoolean()).isFalse();
        assertThat(unreadable.path("redeliverable").asBoolean()).isFalse();
        assertThat(unreadable.path("deserializationError").asText()).contains("no longer fits its class");
        assertThat(unreadable.path("payloadText").asText()).contains("order-2");
        assertThat(XmlPayload.DESERIALIZED).as("the two details").hasValue(2);
    }

    private String letterId(String group, String sequence) {
        return ok(http.get("/processing-groups/" + group + "/letters?sequence=" + sequence)).path("items").get(0)
                .path("id").asText();
    }

    private static List<JsonNode> list(JsonNode array) {
        List<JsonNode> items = new java.util.ArrayList<>();
        array.forEach(items::add);
        return items;
    }

    private static final class RestApiTestSupportJson {
        static JsonNode read(String line) {
            try {
                return Http.JSON.readTree(line);
            } catch (java.io.IOException e) {
                throw new AssertionError("Not JSON: " + line, e);
            }
        }
    }
}
