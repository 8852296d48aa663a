package io.axondlq.core.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A bulk retry: redeliver the sequences of a group that match the filter, {@code batchSize} sequences per batch,
 * {@code cooldown} between batches, at most {@code maxSequences} in all. Which sequences is decided once, when the
 * job starts (a snapshot), so sequences parked later are not swept up.
 *
 * @param causeType   only sequences with a letter of this cause type; null for any
 * @param payloadType only sequences with a letter of this payload type; null for any
 * @param from        only sequences with a letter enqueued at or after this; null for no bound
 * @param to          only sequences with a letter enqueued before this; null for no bound
 */
public record RetryJobRequest(String processingGroup, String causeType, String payloadType, Instant from, Instant to,
                              int batchSize, Duration cooldown, int maxSequences) {

    public static final int MAX_BATCH_SIZE = 1000;
    public static final int MAX_SEQUENCES = 1_000_000;

    public RetryJobRequest {
        if (processingGroup == null || processingGroup.isBlank()) {
            throw new IllegalArgumentException("processingGroup is required");
        }
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new IllegalArgumentException("batchSize must be between 1 and " + MAX_BATCH_SIZE);
        }
        Objects.requireNonNull(cooldown, "cooldown");
        if (cooldown.isNegative() || cooldown.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("cooldown must be between 0 and 1 hour");
        }
        if (maxSequences < 1 || maxSequences > MAX_SEQUENCES) {
            throw new IllegalArgumentException("maxSequences must be between 1 and " + MAX_SEQUENCES);
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new IllegalArgumentException("'from' must be before 'to'");
        }
    }

    /** The request as JSON (how it is stored with its job and shown in audit entries). */
    public ObjectNode toJson() {
        ObjectNode node = new ObjectMapper().createObjectNode();
        node.put("processingGroup", processingGroup);
        node.put("causeType", causeType);
        node.put("payloadType", payloadType);
        node.put("from", from == null ? null : from.toString());
        node.put("to", to == null ? null : to.toString());
        node.put("batchSize", batchSize);
        node.put("cooldown", cooldown.toString());
        node.put("maxSequences", maxSequences);
        return node;
    }
}
