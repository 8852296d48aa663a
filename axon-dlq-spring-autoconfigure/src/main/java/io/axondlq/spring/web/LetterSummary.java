package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * A letter in a listing: everything but payload, metadata and stack trace.
 *
 * @param cause null when the letter has none
 */
public record LetterSummary(@JsonUnwrapped LetterFields letter,
                            CauseSummary cause,
                            @JsonUnwrapped Redeliverability redelivery) {

    /** Why the letter failed; the message masked unless the payload is shown in full. */
    public record CauseSummary(String type, String message) {
    }
}
