package io.axondlq.spring.web;

/** The body of a sequence eviction ({@code DELETE .../sequences/{key}}, {@code DELETE /letters/{id}/sequence}). */
public record SequenceEvictionResponse(int removed, String processingGroup, String sequenceKey) {
}
