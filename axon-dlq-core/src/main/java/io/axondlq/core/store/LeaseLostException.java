package io.axondlq.core.store;

/**
 * The redelivery lease of a sequence is no longer held by this claim: it expired and another owner took the sequence,
 * or the claim was released, or the sequence is gone. Whatever was done under the lost lease must not commit; the
 * store's fenced writes throw this before changing anything, and mark a surrounding transaction rollback-only.
 */
public class LeaseLostException extends DeadLetterStoreException {

    private final transient SequenceClaim claim;

    public LeaseLostException(SequenceClaim claim) {
        super("Lost the redelivery lease [" + claim.owner() + "] on sequence [" + claim.sequenceKey()
                      + "] of processing group [" + claim.processingGroup() + "]: another owner took it over, it was "
                      + "released, or the sequence is gone");
        this.claim = claim;
    }

    public SequenceClaim claim() {
        return claim;
    }
}
