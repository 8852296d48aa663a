package io.axondlq.core.store;

import java.util.Objects;
import java.util.UUID;

/**
 * What {@link DeadLetterStore#enqueueOnce} did with a letter: the id of the letter holding the event, and whether it
 * was stored now or the event was a letter of the group already (Axon delivered it again). The invoker reports only a
 * new letter to the observer, so that the metrics count letters, not the deliveries of an event.
 *
 * @param letterId       the letter holding the event
 * @param alreadyALetter true when nothing was stored: the event was a letter of the group already
 */
public record EnqueueOutcome(UUID letterId, boolean alreadyALetter) {

    public EnqueueOutcome {
        Objects.requireNonNull(letterId, "letterId");
    }

    /** The letter was stored now. */
    public static EnqueueOutcome newLetter(UUID letterId) {
        return new EnqueueOutcome(letterId, false);
    }

    /** Nothing was stored: the event is the letter {@code letterId} already. */
    public static EnqueueOutcome existingLetter(UUID letterId) {
        return new EnqueueOutcome(letterId, true);
    }
}
