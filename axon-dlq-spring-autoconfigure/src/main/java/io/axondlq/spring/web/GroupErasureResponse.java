package io.axondlq.spring.web;

/** The body of erasing every letter of a group ({@code DELETE /processing-groups/{group}/letters}). */
public record GroupErasureResponse(int removed, String processingGroup) {
}
