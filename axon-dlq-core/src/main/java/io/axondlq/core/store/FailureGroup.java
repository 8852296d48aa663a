package io.axondlq.core.store;

import java.time.Instant;

/**
 * Letters of a processing group that share a cause type.
 *
 * @param causeType null for letters parked behind another failure (they have no cause of their own)
 */
public record FailureGroup(String causeType, long letters, Instant firstSeen, Instant lastSeen) {
}
