package io.axondlq.core;

/** Payload of the test events: the aggregate and its sequence number, so handlers need no message metadata. */
public record ThingHappened(String aggregateId, long seq) {

    /** {@code A#3}: identifies one event across attempts, redeliveries and restarts. */
    public String key() {
        return aggregateId + "#" + seq;
    }
}
