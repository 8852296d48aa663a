package io.axondlq.spring.web;

import java.time.Instant;

/** One failed delivery attempt of a letter; the message masked unless the payload is shown in full. */
public record AttemptView(int attempt, Instant failedAt, String node, String causeType, String causeMessage) {
}
