package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import io.axondlq.core.store.LetterDraft;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An export holds every attribute of a letter as stored: a payload's decimal numbers (money amounts serialized from
 * {@link BigDecimal}) keep every digit and their scale in the export and the detail, rather than being rounded to a
 * double. On the test application's H2 and, as {@link PostgresPayloadNumbersExportTest}, on PostgreSQL.
 */
class PayloadNumbersExportTest extends RestApiTestSupport {

    /** Reads the answers without rounding, to see the digits the server wrote. */
    private static final ObjectMapper EXACT = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

    @Test
    void decimalsOfAPayloadKeepEveryDigitInTheExportAndTheDetail() throws Exception {
        String group = "numbers-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("amount", new BigDecimal("12345678901234567.89"));
        payload.put("rate", new BigDecimal("0.10"));
        store.enqueue(group, LetterDraft.failed("order-1", GenericEventMessage.asEventMessage(payload),
                                                new IllegalStateException("boom"), List.of()));

        for (String format : List.of("json", "ndjson")) {
            Http.Response export = http.get("/processing-groups/" + group + "/export?format=" + format);
            assertThat(export.status()).as(export.toString()).isEqualTo(200);
            JsonNode letter = format.equals("json") ? EXACT.readTree(export.body()).get(0)
                    : EXACT.readTree(Http.lines(export.body()).get(0));
            assertThat(letter.path("payloadFormat").asText()).isEqualTo("json");
            assertThat(letter.path("payload").path("amount").decimalValue()).as(format)
                    .isEqualTo(new BigDecimal("12345678901234567.89"));
            assertThat(letter.path("payload").path("rate").decimalValue()).as(format)
                    .isEqualTo(new BigDecimal("0.10"));
        }

        String id = ok(http.get("/processing-groups/" + group + "/letters?sequence=order-1")).path("items").get(0)
                .path("id").asText();
        Http.Response detail = http.get("/letters/" + id);
        assertThat(detail.status()).as(detail.toString()).isEqualTo(200);
        assertThat(EXACT.readTree(detail.body()).path("payload").path("amount").decimalValue())
                .isEqualTo(new BigDecimal("12345678901234567.89"));
    }
}
