package io.axondlq.core.store;

import java.time.Instant;

/**
 * A sequence's automatic-retry state: retries so far, the last one's time and outcome, the next due time (null once
 * the schedule is exhausted: the sequence waits for an operator).
 */
public record AutomaticRetryState(String processingGroup, String sequenceKey, int retries, Instant lastRetryAt,
                                  String lastOutcome, Instant nextAt) {
}
