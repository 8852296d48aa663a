package io.axondlq.core;

/**
 * The sequence identifier of an event the processing group's sequencing policy failed for (a payload it cannot read,
 * a field it expects missing): the event is a sequence of its own, under its message identifier, and is dead-lettered
 * with the policy's failure as its cause, instead of failing the batch on every replay and stalling its segment (I4).
 * Equal and hashed by the message identifier, so that every segment check of the event picks the segment the
 * identifier picks; the failure is carried along for the letter.
 */
final class UnsequencedEvent {

    private final String eventIdentifier;
    private final Throwable policyFailure;

    UnsequencedEvent(String eventIdentifier, Throwable policyFailure) {
        this.eventIdentifier = eventIdentifier;
        this.policyFailure = policyFailure;
    }

    String eventIdentifier() {
        return eventIdentifier;
    }

    Throwable policyFailure() {
        return policyFailure;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof UnsequencedEvent that && eventIdentifier.equals(that.eventIdentifier);
    }

    @Override
    public int hashCode() {
        return eventIdentifier.hashCode();
    }

    @Override
    public String toString() {
        return eventIdentifier;
    }
}
