package io.axondlq.spring.reliability.app;

/**
 * The reliability workload's only event: the aggregate and its sequence number travel in the payload, so the
 * projection needs no message metadata and a letter's payload alone says which event it is.
 */
public record ItemRecorded(String aggregateId, long seq) {

    /** {@code agg-7#3}: one event across attempts, nodes, restarts and redeliveries. */
    public String key() {
        return aggregateId + "#" + seq;
    }
}
