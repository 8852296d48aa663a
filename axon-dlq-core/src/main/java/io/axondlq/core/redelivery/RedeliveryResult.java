package io.axondlq.core.redelivery;

import java.util.List;
import java.util.UUID;

/**
 * What a redelivery of one sequence did.
 *
 * @param redelivered        letters handled successfully and removed
 * @param remaining          letters left in the sequence
 * @param stoppedAtLetterId  the letter that failed, or the first one left when the letter limit was reached, or null
 * @param failureType        exception type of that failure, or null
 * @param failureMessage     its message, or null
 * @param droppedByUpcaster  letters resolved without handling because the application's upcaster chain drops their
 *                           event (removed, reported to the observer as evicted with reason
 *                           {@link io.axondlq.core.observe.DeadLetterObserver#EVICTED_BY_UPCASTER}); not counted in
 *                           {@code redelivered}
 */
public record RedeliveryResult(String processingGroup,
                               String sequenceKey,
                               Outcome outcome,
                               int redelivered,
                               long remaining,
                               UUID stoppedAtLetterId,
                               String failureType,
                               String failureMessage,
                               List<UUID> droppedByUpcaster) {

    public RedeliveryResult {
        droppedByUpcaster = droppedByUpcaster == null ? List.of() : List.copyOf(droppedByUpcaster);
    }

    /** A result without letters dropped by the upcaster chain. */
    public RedeliveryResult(String processingGroup, String sequenceKey, Outcome outcome, int redelivered,
                            long remaining, UUID stoppedAtLetterId, String failureType, String failureMessage) {
        this(processingGroup, sequenceKey, outcome, redelivered, remaining, stoppedAtLetterId, failureType,
             failureMessage, List.of());
    }

    public enum Outcome {
        /** Every letter was redelivered; the sequence is gone and live events flow again. */
        DRAINED,
        /** A letter failed again: it keeps its place (attempts + 1) and the sequence stays parked. */
        FAILED,
        /**
         * A letter's payload cannot be deserialized, even after the application's upcaster chain; it is kept
         * unchanged, and the failure message says why (the letter's {@code readability()} reason).
         */
        UNREADABLE,
        /**
         * The lease was lost: it expired and another node took the sequence over (or the sequence was evicted
         * meanwhile). Nothing of the letter in progress was committed; the new holder decides about it.
         */
        LEASE_LOST,
        /**
         * The call's letter limit was reached with letters left: those handled so far are gone, the rest
         * ({@code remaining}, from {@code stoppedAtLetterId} on) wait in order, the sequence stays parked. Redeliver
         * again, or leave them to a retry job. Also the end of a background redelivery that stopped between letters
         * because the application was stopping
         * ({@link DeadLetterRedeliverer#redeliver(String, String, RedeliveryRecorder, int, java.util.function.BooleanSupplier)}).
         */
        LIMIT_REACHED,
        /** There was nothing to redeliver. */
        NOT_FOUND
    }

    /**
     * For audit details: {@code "; N letter(s) dropped by the upcaster chain: [ids]"}, or empty when none was.
     */
    public String droppedByUpcasterDetail() {
        return droppedByUpcaster.isEmpty() ? ""
                : "; " + droppedByUpcaster.size() + " letter(s) dropped by the upcaster chain: " + droppedByUpcaster;
    }

    static RedeliveryResult notFound(String processingGroup, String sequenceKey) {
        return new RedeliveryResult(processingGroup, sequenceKey, Outcome.NOT_FOUND, 0, 0, null, null, null);
    }

    /**
     * The result in one line for audit entries: outcome, counts, the failure's TYPE (never its message, which may
     * quote the payload and would reach audit readers whatever the payload mode) and letters dropped by upcasters.
     */
    public String auditSummary() {
        StringBuilder detail = new StringBuilder(outcome().name())
                .append(": redelivered ").append(redelivered())
                .append(", remaining ").append(remaining());
        if (failureType() != null) {
            detail.append("; ").append(failureType());
        }
        return detail.append(droppedByUpcasterDetail()).toString();
    }
}
