package io.axondlq.core.store;

import java.time.Instant;

/** Dead-letter totals of one processing group. */
public record GroupStatistics(String processingGroup, long letters, long sequences, Instant oldestEnqueuedAt) {
}
