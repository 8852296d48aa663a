package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * One letter in full ({@code GET /letters/{id}}): the export's view, and whether the application can deserialize the
 * payload (JSON bytes render whether or not the class still exists).
 *
 * @param deserializationError why it cannot; absent when it can
 */
public record LetterDetail(@JsonUnwrapped LetterExport letter,
                           boolean deserializable,
                           @JsonInclude(JsonInclude.Include.NON_NULL) String deserializationError) {
}
