package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.properties.PayloadMode;
import io.axondlq.spring.web.testapp.AccountCredited;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 11, data protection, over the real servlet stack: letter details and listings follow
 * {@code axon.dlq.export.payload} unless the caller holds {@code axon.dlq.security.payload-authority} (default
 * {@code DLQ_PAYLOAD}, decided by Spring Security with the test application's role hierarchy
 * {@code ROLE_DLQ_AUDITOR > ROLE_DLQ_PAYLOAD}); masking covers numbers, nested values, cause messages and stack
 * traces; masked metadata keys ({@code secret} in this application) hold ignoring case, at any depth and for letters
 * that cannot be read.
 */
class DataProtectionTest extends RestApiTestSupport {

    private static final String SECRET = "4111-1111-1111";

    @Autowired
    AxonDlqProperties properties;

    private PayloadMode configured;

    @BeforeEach
    void rememberMode() {
        configured = properties.getExport().getPayload();
    }

    @AfterEach
    void restoreMode() {
        properties.getExport().setPayload(configured);
    }

    @Test
    void letterDetailFollowsThePayloadModeUnlessTheCallerHoldsThePayloadAuthority() {
        String account = poisonedWithSecrets("protect");
        JsonNode first = letters(account).get(0);
        String detail = "/letters/" + first.path("id").asText();

        // full (the default): every reader sees everything
        JsonNode full = ok(reader("DLQ_READ").get(detail));
        assertClear(full, account);

        properties.getExport().setPayload(PayloadMode.MASKED);
        for (String authorities : List.of("DLQ_READ", "DLQ_ADMIN", "DLQ_READ,DLQ_PAYLOADS", "DLQ_READ,dlq_payload",
                                          "DLQ_READ,ROLE_ROLE_DLQ_PAYLOAD")) {
            JsonNode masked = ok(reader(authorities).get(detail));
            assertThat(masked.path("payloadFormat").asText()).as(authorities).isEqualTo("json-masked");
            assertThat(masked.path("payload").path("accountId").asText()).isEqualTo("***");
            assertThat(masked.path("payload").path("amount").asText()).as("numbers are masked").isEqualTo("***");
            assertThat(masked.path("payload").path("note").asText()).isEqualTo("***");
            assertThat(masked.path("cause").path("type").asText()).isEqualTo(IllegalStateException.class.getName());
            assertThat(masked.path("cause").path("message").asText()).isEqualTo("***");
            String stackTrace = masked.path("cause").path("stackTrace").asText();
            assertThat(stackTrace).startsWith("java.lang.IllegalStateException: ***")
                                  .contains("Caused by: java.lang.IllegalArgumentException: ***")
                                  .contains("\tat ")
                                  .doesNotContain(SECRET).doesNotContain("second line").doesNotContain(account);
            assertThat(masked.path("attemptHistory")).isNotEmpty()
                                                     .allSatisfy(a -> assertThat(a.path("causeMessage").asText())
                                                             .isEqualTo("***"));
            assertThat(masked.path("metadata").path("secret").asText()).isEqualTo("***");
            assertThat(masked.path("metadata").path("tenant").asText()).as("only the masked keys").isEqualTo("acme");
            assertThat(masked.toString()).doesNotContain(SECRET).doesNotContain("s3cr3t");
            // what identifies the letter stays, so that an operator can still act on it
            assertThat(masked.path("sequenceKey").asText()).isEqualTo(account);
            assertThat(masked.path("payloadType").asText()).isEqualTo(AccountCredited.class.getName());
        }
        // the payload authority, as an authority, as the role of that name, and through the role hierarchy
        for (String authorities : List.of("DLQ_READ,DLQ_PAYLOAD", "ROLE_DLQ_READ,ROLE_DLQ_PAYLOAD",
                                          "DLQ_READ,ROLE_DLQ_AUDITOR")) {
            assertClear(ok(reader(authorities).get(detail)), account);
        }

        // listings: the cause message per the same rule
        String listing = "/processing-groups/ledger/letters?sequence=" + account;
        assertThat(ok(reader("DLQ_READ").get(listing)).path("items").get(0).path("cause").path("message").asText())
                .isEqualTo("***");
        assertThat(ok(reader("DLQ_READ,DLQ_PAYLOAD").get(listing)).path("items").get(0).path("cause")
                           .path("message").asText()).contains(SECRET);

        // exports follow the mode whoever asks
        JsonNode exported = ok(reader("DLQ_READ,DLQ_PAYLOAD").get("/processing-groups/ledger/export?sequence="
                                                                          + account)).get(0);
        assertThat(exported.path("payloadFormat").asText()).isEqualTo("json-masked");
        assertThat(exported.toString()).doesNotContain(SECRET);

        properties.getExport().setPayload(PayloadMode.NONE);
        JsonNode none = ok(reader("DLQ_READ").get(detail));
        assertThat(none.path("payloadFormat").asText()).isEqualTo("omitted");
        assertThat(none.has("payload")).isFalse();
        assertThat(none.path("cause").path("message").asText()).isEqualTo("***");
        assertThat(none.toString()).doesNotContain(SECRET);
        assertClear(ok(reader("DLQ_READ,DLQ_PAYLOAD").get(detail)), account);
    }

    /**
     * A redelivery's response and a retry job's outcomes quote the failure's message, which may carry the payload's
     * data: they follow the same rule as a letter's cause (before, any reader got them in full).
     */
    @Test
    void redeliveryResponsesAndRetryJobOutcomesMaskTheFailureMessageUnlessTheCallerHoldsThePayloadAuthority() {
        String account = poisonedWithSecrets("outcome");
        String redeliver = "/processing-groups/ledger/sequences/" + Http.encode(account) + "/redeliver";
        JsonNode full = ok(http.post(redeliver, null));
        assertThat(full.path("outcome").asText()).isEqualTo("FAILED");
        assertThat(full.path("failureMessage").asText()).contains(SECRET);

        properties.getExport().setPayload(PayloadMode.MASKED);
        JsonNode masked = ok(http.post(redeliver, null));
        assertThat(masked.path("outcome").asText()).isEqualTo("FAILED");
        assertThat(masked.path("failureType").asText()).isEqualTo(IllegalStateException.class.getName());
        assertThat(masked.path("failureMessage").asText()).isEqualTo("***");
        Http payloadOperator = new Http(port, TestAuthenticationFilter.USER, OPERATOR,
                                        TestAuthenticationFilter.AUTHORITIES, ADMIN_AUTHORITY + ",DLQ_PAYLOAD");
        assertThat(ok(payloadOperator.post(redeliver, null)).path("failureMessage").asText()).contains(SECRET);

        String id = ok(http.post("/retry-jobs", "{\"processingGroup\": \"ledger\", \"cooldown\": \"PT0S\"}"))
                .path("id").asText();
        await().atMost(Duration.ofSeconds(60)).until(
                () -> !"RUNNING".equals(ok(http.get("/retry-jobs/" + id)).path("state").asText()));
        String outcomes = "/retry-jobs/" + id + "?limit=500";
        JsonNode maskedOutcome = outcomeOf(ok(reader("DLQ_READ").get(outcomes)), account);
        assertThat(maskedOutcome.path("outcome").asText()).isEqualTo("FAILED");
        assertThat(maskedOutcome.path("detail").asText()).isEqualTo(IllegalStateException.class.getName() + ": ***");
        assertThat(outcomeOf(ok(reader("DLQ_READ,DLQ_PAYLOAD").get(outcomes)), account).path("detail").asText())
                .startsWith(IllegalStateException.class.getName() + ": ").contains(SECRET);

        properties.getExport().setPayload(PayloadMode.FULL);
        assertThat(outcomeOf(ok(reader("DLQ_READ").get(outcomes)), account).path("detail").asText())
                .contains(SECRET);
    }

    @Test
    void maskedMetadataKeysHoldIgnoringCaseAtAnyDepthAlsoForUnreadableLetters() {
        String key = "meta-" + UUID.randomUUID();
        MetaData metaData = MetaData.with("SECRET", "s3cr3t-top")
                                    .and("context", Map.of("Secret", "s3cr3t-nested", "keep", "visible",
                                                           "items", List.of(Map.of("sEcReT", "s3cr3t-deep"))))
                                    .and("tenant", "acme");
        UUID id = store.enqueue(GROUP, LetterDraft.failed(
                key, GenericEventMessage.asEventMessage(new AccountCredited(key, 5, "n")).andMetaData(metaData),
                new IllegalStateException("boom"), List.of()));
        String detail = "/letters/" + id;

        JsonNode shown = ok(http.get(detail)).path("metadata");
        assertThat(shown.path("SECRET").asText()).isEqualTo("***");
        assertThat(shown.path("context").path("Secret").asText()).isEqualTo("***");
        assertThat(shown.path("context").path("items").get(0).path("sEcReT").asText()).isEqualTo("***");
        assertThat(shown.path("context").path("keep").asText()).isEqualTo("visible");
        assertThat(shown.path("tenant").asText()).isEqualTo("acme");

        // the payload's class is gone: the metadata is still shown, still masked
        jdbc.update("UPDATE axon_dlq_letter SET payload_type = 'com.example.Gone' WHERE letter_id = ?", id);
        JsonNode unreadable = ok(http.get(detail));
        assertThat(unreadable.path("deserializable").asBoolean()).isFalse();
        assertThat(unreadable.path("metadata").path("context").path("Secret").asText()).isEqualTo("***");
        assertThat(unreadable.toString()).doesNotContain("s3cr3t");

        // and its metadata is no JSON either (another serializer wrote it): omitted, never shown raw (as base64)
        jdbc.update("UPDATE axon_dlq_letter SET meta_data = ? WHERE letter_id = ?",
                    "<meta><secret>s3cr3t-xml</secret></meta>".getBytes(StandardCharsets.UTF_8), id);
        JsonNode raw = ok(http.get(detail));
        assertThat(raw.path("metadata").path("format").asText()).isEqualTo("omitted");
        assertThat(raw.path("metadata").path("reason").asText()).contains("masked keys");
        assertThat(raw.path("metadata").has("data")).isFalse();
        List<String> exported = Http.lines(http.get("/processing-groups/ledger/export?format=ndjson&sequence=" + key)
                                               .body());
        assertThat(exported).hasSize(1);
        assertThat(readTree(exported.get(0)).path("metadata").path("format").asText()).isEqualTo("omitted");
        store.evictSequence(GROUP, key);
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    /** A poisoned account whose failure message (multi-line, with a cause) carries data. */
    private String poisonedWithSecrets(String prefix) {
        String account = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account, id -> new IllegalStateException(
                "card " + SECRET + " of " + id + "\nsecond line " + id,
                new IllegalArgumentException("nested " + SECRET)));
        accounts.creditAndAwaitLetters(account, 2);
        return account;
    }

    private static JsonNode outcomeOf(JsonNode job, String sequenceKey) {
        for (JsonNode outcome : job.path("sequences")) {
            if (outcome.path("sequenceKey").asText().equals(sequenceKey)) {
                return outcome;
            }
        }
        throw new AssertionError("no outcome for " + sequenceKey + " in " + job);
    }

    private static JsonNode readTree(String json) {
        try {
            return Http.JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new AssertionError(json, e);
        }
    }

    private Http reader(String authorities) {
        return new Http(port, TestAuthenticationFilter.USER, "reader", TestAuthenticationFilter.AUTHORITIES,
                        authorities);
    }

    private static void assertClear(JsonNode letter, String account) {
        assertThat(letter.path("payloadFormat").asText()).isEqualTo("json");
        assertThat(letter.path("payload").path("accountId").asText()).isEqualTo(account);
        assertThat(letter.path("payload").path("amount").asLong()).isEqualTo(100);
        assertThat(letter.path("cause").path("message").asText()).contains(SECRET);
        assertThat(letter.path("cause").path("stackTrace").asText()).contains(SECRET).contains("second line");
        assertThat(letter.path("attemptHistory").get(0).path("causeMessage").asText()).contains(SECRET);
        // masked metadata keys stay masked for everyone
        assertThat(letter.path("metadata").path("secret").asText()).isEqualTo("***");
    }
}
