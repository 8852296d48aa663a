package io.axondlq.core.store;

import java.time.Instant;
import java.util.Objects;

/**
 * One failed handling attempt of a letter: live attempts before it was dead-lettered, and every failed redelivery.
 *
 * @param attempt      1-based attempt number
 * @param failedAt     when the attempt failed
 * @param node         the node that made the attempt
 * @param causeType    fully qualified exception type
 * @param causeMessage exception message, truncated to {@link Causes#MAX_MESSAGE_LENGTH}
 */
public record AttemptRecord(int attempt, Instant failedAt, String node, String causeType, String causeMessage) {

    public AttemptRecord {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
        }
        Objects.requireNonNull(failedAt, "failedAt");
        node = StoredText.text(node, StoredText.SHORT_TEXT);
        causeType = Causes.type(causeType);
        causeMessage = Causes.truncateMessage(causeMessage);
    }

    public static AttemptRecord of(int attempt, Instant failedAt, String node, Throwable cause) {
        return new AttemptRecord(attempt, failedAt, node, cause.getClass().getName(), cause.getMessage());
    }
}
