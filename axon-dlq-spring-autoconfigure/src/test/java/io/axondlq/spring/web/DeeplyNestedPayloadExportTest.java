package io.axondlq.spring.web;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.core.store.LetterDraft;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A payload nested as deeply as Jackson reads by default (1,000 levels, {@link StreamReadConstraints}) is JSON to the
 * views, so they show it as a tree, one or two levels deeper inside the letter (and the export's array). Writing it
 * must not hit Jackson's write limit: one such letter would otherwise cut off the export of its whole group and fail
 * its detail with a 500. On the test application's H2 and, as {@link PostgresDeeplyNestedPayloadExportTest}, on
 * PostgreSQL.
 */
class DeeplyNestedPayloadExportTest extends RestApiTestSupport {

    /** The test reads the answers with room to spare: the payload sits below the export's own levels. */
    private static final ObjectMapper DEEP = new ObjectMapper(JsonFactory.builder().streamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(10_000).build()).build());

    @Test
    void aPayloadNestedAsDeeplyAsJacksonReadsIsExportedAndShown() throws Exception {
        String group = "nested-" + UUID.randomUUID().toString().substring(0, 8);
        int depth = StreamReadConstraints.DEFAULT_MAX_DEPTH - 1; // what the event serializer itself still writes
        List<Object> payload = new ArrayList<>();
        List<Object> innermost = payload;
        for (int level = 1; level < depth; level++) {
            List<Object> inner = new ArrayList<>();
            innermost.add(inner);
            innermost = inner;
        }
        innermost.add("deepest");
        store.enqueue(group, LetterDraft.failed("order-1", GenericEventMessage.asEventMessage(payload),
                                                new IllegalStateException("boom"), List.of()));
        store.enqueue(group, LetterDraft.failed("order-2", GenericEventMessage.asEventMessage("plain"),
                                                new IllegalStateException("boom"), List.of()));

        for (String format : List.of("json", "ndjson")) {
            Http.Response export = http.get("/processing-groups/" + group + "/export?format=" + format);
            assertThat(export.status()).as(export.toString()).isEqualTo(200);
            List<JsonNode> letters = new ArrayList<>();
            if (format.equals("json")) {
                DEEP.readTree(export.body()).forEach(letters::add);
            } else {
                for (String line : Http.lines(export.body())) {
                    letters.add(DEEP.readTree(line));
                }
            }
            assertThat(letters).as(format).extracting(l -> l.path("sequenceKey").asText())
                               .containsExactly("order-1", "order-2");
            assertThat(letters.get(0).path("payloadFormat").asText()).isEqualTo("json");
            assertThat(depthOf(letters.get(0).path("payload"))).isEqualTo(depth);
        }
        List<JsonNode> exports = all("/audit?action=export&processingGroup=" + group, 10);
        assertThat(exports).extracting(e -> e.path("outcome").asText()).containsExactly("success", "success");

        String id = ok(http.get("/processing-groups/" + group + "/letters?sequence=order-1")).path("items").get(0)
                .path("id").asText();
        Http.Response response = http.get("/letters/" + id);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode detail = DEEP.readTree(response.body());
        assertThat(depthOf(detail.path("payload"))).isEqualTo(depth);
    }

    private static int depthOf(JsonNode node) {
        int depth = 0;
        while (node.isArray()) {
            depth++;
            node = node.get(0);
        }
        return depth;
    }
}
