package io.axondlq.spring.web.shutdownapp;

/** The shutdown test application's only event type: entry {@code index} of sequence {@code sequence}. */
public record EntryBooked(String sequence, int index) {

    /** How the handler names this event in {@link GatedLedger}'s gates and records. */
    public String id() {
        return sequence + "#" + index;
    }
}
