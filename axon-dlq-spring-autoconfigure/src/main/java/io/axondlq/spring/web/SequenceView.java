package io.axondlq.spring.web;

import io.axondlq.core.store.SequenceSummary;

import java.time.Instant;
import java.util.UUID;

/**
 * A dead-lettered sequence ({@code GET /processing-groups/{group}/sequences}).
 *
 * @param claimedBy  the node redelivering it now, if any, until {@code claimUntil}
 */
public record SequenceView(String processingGroup, String sequenceKey, int size, Instant oldestEnqueuedAt,
                           Instant lastTouched, SequenceHead head, String claimedBy, Instant claimUntil) {

    /** The sequence's oldest letter, the one redelivery starts with. */
    public record SequenceHead(UUID letterId, String eventIdentifier, String payloadType, String causeType) {
    }

    static SequenceView of(SequenceSummary s) {
        return new SequenceView(s.processingGroup(), s.sequenceKey(), s.size(), s.oldestEnqueuedAt(),
                                s.lastTouched(), new SequenceHead(s.headLetterId(), s.headEventIdentifier(),
                                                          s.headPayloadType(), s.headCauseType()),
                                s.claimedBy(), s.claimUntil());
    }
}
