package io.axondlq.core.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.store.StoredText;

import java.time.Duration;
import java.time.Instant;

/**
 * A bulk retry: redeliver the sequences of a group that match the filter, {@code batchSize} sequences per batch,
 * {@code cooldown} between batches, at most {@code maxSequences} in all. Which sequences is decided once, when the
 * job starts (a snapshot), so sequences parked later are not swept up.
 * <p>
 * The constructor checks the ranges; {@link #requireCreatable()} also what a new job's request must satisfy to be
 * stored and matched at all. Both throw {@link InvalidRetryJobRequestException}, naming the member.
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
    /** The processing group column's size. */
    public static final int MAX_GROUP_LENGTH = 255;
    /** The cause type column's size ({@link StoredText#CAUSE_TYPE}): no longer cause type is stored. */
    public static final int MAX_CAUSE_TYPE_LENGTH = StoredText.CAUSE_TYPE;
    /** The payload type column's size ({@link StoredText#PAYLOAD_TYPE}): no longer payload type is stored. */
    public static final int MAX_PAYLOAD_TYPE_LENGTH = StoredText.PAYLOAD_TYPE;
    /** The earliest {@code from} or {@code to}: every supported database stores years 1 to 9999. */
    public static final Instant MIN_INSTANT = Instant.parse("0001-01-01T00:00:00Z");
    /** The latest {@code from} or {@code to}. */
    public static final Instant MAX_INSTANT = Instant.parse("9999-12-31T23:59:59.999999999Z");

    public RetryJobRequest {
        if (processingGroup == null || processingGroup.isBlank()) {
            throw new InvalidRetryJobRequestException("processingGroup", "is required");
        }
        if (batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
            throw new InvalidRetryJobRequestException("batchSize", "must be between 1 and " + MAX_BATCH_SIZE);
        }
        if (cooldown == null) {
            throw new InvalidRetryJobRequestException("cooldown", "is required");
        }
        if (cooldown.isNegative() || cooldown.compareTo(Duration.ofHours(1)) > 0) {
            throw new InvalidRetryJobRequestException("cooldown", "must be between 0 and 1 hour");
        }
        if (cooldown.getNano() % 1_000_000 != 0) {
            // Kept in whole milliseconds: a finer one would run as another cooldown than the job shows.
            throw new InvalidRetryJobRequestException("cooldown", "must be whole milliseconds");
        }
        if (maxSequences < 1 || maxSequences > MAX_SEQUENCES) {
            throw new InvalidRetryJobRequestException("maxSequences", "must be between 1 and " + MAX_SEQUENCES);
        }
        if (from != null && to != null && !from.isBefore(to)) {
            throw new InvalidRetryJobRequestException("from", "must be before 'to'");
        }
    }

    /**
     * What a request for a new job must satisfy besides the constructor's ranges, so that creating the job fails on
     * nothing but the request: the processing group, cause type and payload type without NUL (which PostgreSQL's
     * text types refuse) and within their columns ({@value #MAX_GROUP_LENGTH}, {@value #MAX_CAUSE_TYPE_LENGTH},
     * {@value #MAX_PAYLOAD_TYPE_LENGTH} characters: no longer value is stored, so none could match), {@code from} and
     * {@code to} in years 1 to 9999. {@link RetryJobs#create} checks it before writing anything. Not part of the
     * constructor, so that jobs stored before these checks stay readable.
     *
     * @return this request
     * @throws InvalidRetryJobRequestException naming the first member at fault
     */
    public RetryJobRequest requireCreatable() {
        text("processingGroup", processingGroup, MAX_GROUP_LENGTH);
        text("causeType", causeType, MAX_CAUSE_TYPE_LENGTH);
        text("payloadType", payloadType, MAX_PAYLOAD_TYPE_LENGTH);
        instant("from", from);
        instant("to", to);
        return this;
    }

    private static void text(String member, String value, int maxLength) {
        if (value == null) {
            return;
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidRetryJobRequestException(member, "must not contain NUL characters");
        }
        if (value.length() > maxLength) {
            throw new InvalidRetryJobRequestException(member, "must be at most " + maxLength + " characters, was "
                    + value.length());
        }
    }

    private static void instant(String member, Instant value) {
        if (value != null && (value.isBefore(MIN_INSTANT) || value.isAfter(MAX_INSTANT))) {
            throw new InvalidRetryJobRequestException(member, "must be between 0001-01-01T00:00:00Z and "
                    + "9999-12-31T23:59:59Z");
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
