package io.axondlq.core.redelivery;

import io.axondlq.core.store.StoredLetter;

/**
 * Hears each letter's outcome inside the transaction that records it, so that what it writes (the audit entry)
 * commits with that outcome or not at all. Throwing rolls the outcome back and stops the redelivery: the exception
 * leaves {@link DeadLetterRedeliverer#redeliver(String, String, RedeliveryRecorder)}.
 */
public interface RedeliveryRecorder {

    RedeliveryRecorder NONE = new RedeliveryRecorder() {
    };

    /** In the letter's unit of work, after the handlers and the letter's removal, before the commit. */
    default void redelivered(StoredLetter letter) {
    }

    /** In the transaction that removes a letter whose event the upcaster chain drops, before its commit. */
    default void dropped(StoredLetter letter) {
    }

    /** In the transaction that keeps the failed letter (attempts + 1, history row), before its commit. */
    default void failed(StoredLetter letter, Throwable failure) {
    }

    /**
     * In the transaction of the change that ends the redelivery, after the letter's own callback and before the
     * commit, with the result the redelivery will return: the last letter's removal ({@code DRAINED}) or the failed
     * letter's requeue ({@code FAILED}). Not called when the redelivery ends without a change of its own
     * ({@code UNREADABLE}, {@code LEASE_LOST}, {@code NOT_FOUND}, a letter limit reached): the caller records those
     * in a transaction of its own.
     */
    default void concluded(RedeliveryResult result) {
    }
}
