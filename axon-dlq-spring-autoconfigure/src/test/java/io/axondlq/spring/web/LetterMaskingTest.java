package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.Causes;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The masking rules on their own: values at any depth, keys ignoring case, messages inside stack traces. */
class LetterMaskingTest {

    @Test
    void maskedValuesKeepTheStructureAndLoseEveryValue() throws Exception {
        JsonNode payload = ApiJson.parse("{\"name\": \"Ann\", \"amount\": 1234.5, \"card\": 4111111111111111, "
                                                 + "\"vip\": true, \"none\": null, \"address\": {\"zip\": 12345, "
                                                 + "\"lines\": [\"a\", 7, {\"x\": false}]}, \"tags\": []}");

        JsonNode masked = LetterMasking.maskValues(payload);

        assertThat(masked.toString()).isEqualTo("{\"name\":\"***\",\"amount\":\"***\",\"card\":\"***\",\"vip\":\"***\","
                                                        + "\"none\":null,\"address\":{\"zip\":\"***\",\"lines\":"
                                                        + "[\"***\",\"***\",{\"x\":\"***\"}]},\"tags\":[]}");
        assertThat(LetterMasking.maskValues(ApiJson.parse("42")).asText()).isEqualTo("***");
        assertThat(payload.path("amount").asDouble()).as("the input is left as it was").isEqualTo(1234.5);
    }

    @Test
    void outcomeDetailsLoseTheFailureMessageAndKeepTheTypeAndTheUpcasterNote() {
        String dropped = "; 1 letter(s) dropped by the upcaster chain: [0b1c2d3e-0000-4000-8000-000000000001]";
        assertThat(LetterMasking.maskOutcomeDetail("java.lang.IllegalStateException: card 4111\nline 2"))
                .isEqualTo("java.lang.IllegalStateException: ***");
        assertThat(LetterMasking.maskOutcomeDetail("com.acme.Føø$Inner: no funds on 42" + dropped))
                .isEqualTo("com.acme.Føø$Inner: ***" + dropped);
        assertThat(LetterMasking.maskOutcomeDetail("java.lang.IllegalStateException: ; 9 letter(s) dropped by the "
                                                           + "upcaster chain: [account 42] and more"))
                .as("a message that only looks like the note").isEqualTo("java.lang.IllegalStateException: ***");
        assertThat(LetterMasking.maskOutcomeDetail("java.lang.IllegalStateException"))
                .as("a failure without a message").isEqualTo("java.lang.IllegalStateException");
        assertThat(LetterMasking.maskOutcomeDetail("DRAINED" + dropped)).isEqualTo("DRAINED" + dropped);
        assertThat(LetterMasking.maskOutcomeDetail("Sequence [k] is claimed by node-b/42 until 2026-12-03T10:00Z"))
                .as("a sequence held by another node").startsWith("Sequence [k] is claimed by node-b/42");
        assertThat(LetterMasking.maskOutcomeDetail(null)).isNull();
    }

    @Test
    void maskedKeysMatchIgnoringCaseAtAnyDepth() throws Exception {
        LetterMasking masking = new LetterMasking(List.of("Token", " password ", ""));
        JsonNode metadata = ApiJson.parse("{\"TOKEN\": \"t\", \"user\": {\"Password\": {\"old\": \"p\"}, "
                                                  + "\"name\": \"n\"}, \"list\": [{\"token\": 5}], \"x\": \"token\"}");

        JsonNode masked = masking.maskKeys(metadata);

        assertThat(masked.toString()).isEqualTo("{\"TOKEN\":\"***\",\"user\":{\"Password\":\"***\",\"name\":\"n\"},"
                                                        + "\"list\":[{\"token\":\"***\"}],\"x\":\"token\"}");
        assertThat(masking.masksMetadata()).isTrue();
        assertThat(new LetterMasking(null).masksMetadata()).isFalse();
        assertThat(new LetterMasking(List.of()).maskKeys(metadata)).isEqualTo(metadata);
    }

    @Test
    void stackTracesKeepTypesAndFramesAndLoseEveryMessage() {
        IllegalStateException failure = new IllegalStateException(
                "card 4111 of acc-1\nsecond line acc-1\n\tat looks.like.a.Frame(but is the message)",
                new IllegalArgumentException("nested acc-1", new RuntimeException()));
        failure.addSuppressed(new UnsupportedOperationException("suppressed acc-1"));
        String stackTrace = Causes.stackTrace(failure);
        assertThat(stackTrace).contains("acc-1");

        String masked = LetterMasking.maskStackTrace(stackTrace);

        assertThat(masked).startsWith("java.lang.IllegalStateException: ***\n")
                          .contains("Caused by: java.lang.IllegalArgumentException: ***")
                          .contains("Suppressed: java.lang.UnsupportedOperationException: ***")
                          .contains("Caused by: java.lang.RuntimeException\n")
                          .contains("\tat " + LetterMaskingTest.class.getName())
                          .doesNotContain("4111").doesNotContain("second line");
        // the only text left of the message is a line that looks like a frame, and no account id outside it
        assertThat(masked.replace("\tat looks.like.a.Frame(but is the message)", "")).doesNotContain("acc-1");
        assertThat(masked.lines().count()).isLessThanOrEqualTo(stackTrace.lines().count());
        assertThat(LetterMasking.maskStackTrace(null)).isNull();
        assertThat(LetterMasking.maskMessage("secret")).isEqualTo("***");
        assertThat(LetterMasking.maskMessage(null)).isNull();
    }
}
