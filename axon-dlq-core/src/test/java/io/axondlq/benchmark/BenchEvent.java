package io.axondlq.benchmark;

/** Payload of every benchmark event. */
public record BenchEvent(String aggregateId, long sequence) {
}
