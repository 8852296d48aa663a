package io.axondlq.spring.jobs;

/** Payload of the test events. */
public record ThingChanged(String thingId, int seq) {

    public String key() {
        return thingId + "#" + seq;
    }
}
