package io.axondlq.core.store;

import java.time.Instant;
import java.util.UUID;

/**
 * A parked sequence as operators see it.
 *
 * @param claimedBy  the node holding the redelivery lease, or null when free (an expired lease counts as free)
 * @param claimUntil end of that lease, or null
 */
public record SequenceSummary(String processingGroup,
                              String sequenceKey,
                              int size,
                              Instant oldestEnqueuedAt,
                              Instant lastTouched,
                              UUID headLetterId,
                              String headEventIdentifier,
                              String headPayloadType,
                              String headCauseType,
                              String claimedBy,
                              Instant claimUntil) {
}
