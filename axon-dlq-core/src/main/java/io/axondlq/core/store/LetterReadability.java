package io.axondlq.core.store;

import java.util.List;
import java.util.Objects;

/**
 * Whether a letter's stored event can be redelivered by this application, after the application's upcaster chain, and
 * why not. Listings and letter views show it; redelivery of an unreadable letter answers with the same reason.
 *
 * @param readable     true when every event the upcaster chain makes of the stored one has a class here
 * @param reason       why not, e.g. {@code payload type com.acme.OrderPlaced revision 1 cannot be read: class not
 *                     found and no upcaster changes it}; null when readable
 * @param payloadTypes the payload types the upcaster chain makes of the stored one, in order: the stored type itself
 *                     when no upcaster changes it, none when an upcaster drops the event (the redelivery then
 *                     resolves the letter), several when one splits it; empty when upcasting itself failed
 */
public record LetterReadability(boolean readable, String reason, List<PayloadType> payloadTypes) {

    /** A payload type and revision (null when the type has none). */
    public record PayloadType(String name, String revision) {

        @Override
        public String toString() {
            return name + (revision == null ? " (no revision)" : " revision " + revision);
        }
    }

    public LetterReadability {
        payloadTypes = List.copyOf(payloadTypes);
        if (!readable) {
            Objects.requireNonNull(reason, "reason");
        }
    }

    public static LetterReadability readable(List<PayloadType> payloadTypes) {
        return new LetterReadability(true, null, payloadTypes);
    }

    public static LetterReadability unreadable(String reason, List<PayloadType> payloadTypes) {
        return new LetterReadability(false, reason, payloadTypes);
    }

    /** True when the upcaster chain drops the event: redelivering the letter resolves it without handling. */
    public boolean droppedByUpcaster() {
        return readable && payloadTypes.isEmpty();
    }
}
