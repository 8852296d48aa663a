package io.axondlq.spring.web;

import java.time.Instant;

/**
 * A processing group ({@code GET /processing-groups}).
 *
 * @param running        whether it runs with axon-dlq on this node (redelivery needs that)
 * @param activeRetryJob its running retry job, if any
 */
public record ProcessingGroupView(String name, long letters, long sequences, Instant oldestEnqueuedAt, boolean running,
                                  RetryJobView activeRetryJob) {
}
