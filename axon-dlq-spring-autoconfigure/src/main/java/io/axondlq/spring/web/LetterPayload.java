package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A letter's payload as a view shows it, per payload mode. Members that do not apply are absent.
 *
 * @param payloadFormat        {@code json}, {@code json-masked}, {@code base64} or {@code omitted}
 * @param payload              the JSON payload (masked: every value replaced), or the bytes as base64
 * @param payloadText          base64 only: the bytes as text when they are valid UTF-8 (e.g. XStream XML)
 * @param payloadReason        base64 only: why the payload is not shown as JSON
 * @param payloadOmittedReason omitted only: why
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record LetterPayload(String payloadFormat,
                            JsonNode payload,
                            String payloadText,
                            String payloadReason,
                            String payloadOmittedReason) {

    static LetterPayload json(JsonNode payload, boolean masked) {
        return new LetterPayload(masked ? "json-masked" : "json", payload, null, null, null);
    }

    static LetterPayload omitted(String reason) {
        return new LetterPayload("omitted", null, null, null, reason);
    }
}
