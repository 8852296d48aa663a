package io.axondlq.core.store;

import java.time.Instant;

/**
 * How many of the letters a processing group holds now were enqueued in the hour starting at {@code hourStart}: the
 * dashboard's "letters per hour" chart.
 */
public record EnqueuedHour(String processingGroup, Instant hourStart, long letters) {
}
