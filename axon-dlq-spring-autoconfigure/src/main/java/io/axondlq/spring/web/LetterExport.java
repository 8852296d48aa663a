package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * Everything about one letter, as an export writes it (and the detail shows it): the listing's fields, the cause with
 * its stack trace, the payload per payload mode, metadata (masked keys replaced), diagnostics, tracking token and
 * attempt history.
 *
 * @param metadata      the event's metadata as JSON; when it cannot be read, {@code {"format", "data"?, "reason"}}
 * @param diagnostics   what the processor recorded about the failures
 * @param trackingToken null unless the event was tracked
 */
public record LetterExport(@JsonUnwrapped LetterFields letter,
                           CauseDetail cause,
                           @JsonUnwrapped Redeliverability redelivery,
                           @JsonUnwrapped LetterPayload payload,
                           JsonNode metadata,
                           JsonNode diagnostics,
                           TrackingToken trackingToken,
                           List<AttemptView> attemptHistory) {

    /** Why the letter failed, with the stack trace; messages masked unless the payload is shown in full. */
    public record CauseDetail(String type, String message, String stackTrace) {
    }

    /** @param value the token as JSON when it is, else as text or base64; absent without a token */
    public record TrackingToken(String type, @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode value) {
    }

    LetterExport withRedelivery(Redeliverability redelivery) {
        return new LetterExport(letter, cause, redelivery, payload, metadata, diagnostics, trackingToken,
                                attemptHistory);
    }
}
