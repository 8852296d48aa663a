package io.axondlq.spring.web;

import java.util.UUID;

/** The body of a letter eviction ({@code DELETE /letters/{id}}). */
public record LetterEvictionResponse(int removed, UUID letterId, String processingGroup, String sequenceKey) {
}
