package io.axondlq.core.store;

import java.time.Instant;

/** Another owner holds the redelivery lease of the sequence. */
public class SequenceClaimedException extends DeadLetterStoreException {

    private final String claimedBy;
    private final Instant claimUntil;

    public SequenceClaimedException(String processingGroup, String sequenceKey, String claimedBy, Instant claimUntil) {
        super("Sequence [" + sequenceKey + "] of processing group [" + processingGroup + "] is claimed by ["
                      + claimedBy + "] until " + claimUntil);
        this.claimedBy = claimedBy;
        this.claimUntil = claimUntil;
    }

    public String claimedBy() {
        return claimedBy;
    }

    public Instant claimUntil() {
        return claimUntil;
    }
}
