package io.axondlq.jdbc.jobs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.jobs.RetryJobRequest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * How a {@link RetryJobRequest} is stored (JSON) and compared for idempotency (SHA-256 of a canonical form).
 */
final class RetryJobRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private RetryJobRequests() {
    }

    /**
     * SHA-256 (hex) of a canonical form of the request: every field in a fixed order, strings length-prefixed and
     * nulls marked, instants as epoch seconds and nanos, the cooldown in nanoseconds. Two requests hash alike exactly
     * when they are equal, whatever JSON spelling (field order, time zone, duration format) the client used.
     */
    static String hash(RetryJobRequest request) {
        StringBuilder canonical = new StringBuilder("retry-job/v1");
        text(canonical, request.processingGroup());
        text(canonical, request.causeType());
        text(canonical, request.payloadType());
        instant(canonical, request.from());
        instant(canonical, request.to());
        canonical.append('|').append(request.batchSize())
                 .append('|').append(request.cooldown().toNanos())
                 .append('|').append(request.maxSequences());
        return sha256(canonical.toString());
    }

    /**
     * The stored form of an idempotency key: SHA-256 (hex) of the processing group and the key, so that the same key
     * in two groups names two jobs, and a stored key of any length fits its column.
     */
    static String scopedKey(String processingGroup, String idempotencyKey) {
        StringBuilder canonical = new StringBuilder("idempotency-key/v1");
        text(canonical, processingGroup);
        text(canonical, idempotencyKey);
        return sha256(canonical.toString());
    }

    private static String sha256(String canonical) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static void text(StringBuilder canonical, String value) {
        canonical.append('|');
        if (value == null) {
            canonical.append('-');
        } else {
            canonical.append(value.length()).append(':').append(value);
        }
    }

    private static void instant(StringBuilder canonical, Instant value) {
        canonical.append('|');
        if (value == null) {
            canonical.append('-');
        } else {
            canonical.append(value.getEpochSecond()).append('.').append(value.getNano());
        }
    }

    static String toJson(RetryJobRequest request) {
        return request.toJson().toString();
    }

    static RetryJobRequest fromJson(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return new RetryJobRequest(node.get("processingGroup").asText(),
                                       textOrNull(node, "causeType"),
                                       textOrNull(node, "payloadType"),
                                       instantOrNull(node, "from"),
                                       instantOrNull(node, "to"),
                                       node.get("batchSize").asInt(),
                                       Duration.parse(node.get("cooldown").asText()),
                                       node.get("maxSequences").asInt());
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalStateException("Stored retry job request is unreadable: " + json, e);
        }
    }

    private static String textOrNull(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static Instant instantOrNull(JsonNode node, String field) {
        String text = textOrNull(node, field);
        return text == null ? null : Instant.parse(text);
    }
}
