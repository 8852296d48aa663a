package io.axondlq.core.store;

import java.util.function.Supplier;

/**
 * Hears how {@link GroupDeadLetterQueue#process} resolved each letter (Axon's own dead-letter processing, e.g.
 * {@code EventProcessingConfiguration.sequencedDeadLetterProcessor(group).processAny()}), and what
 * {@link GroupDeadLetterQueue#evict} and {@link GroupDeadLetterQueue#clear} removed, inside the transaction that
 * records that outcome or removal, so that what it writes (the audit entry) commits with it or not at all. Throwing
 * stops the processing or the removal: the exception leaves the queue's method, and its transaction rolls back.
 */
public interface QueueProcessingRecorder {

    QueueProcessingRecorder NONE = new QueueProcessingRecorder() {
    };

    /** The processing task decided to evict the letter (handled successfully) and it was removed. */
    default void redelivered(StoredLetter letter) {
    }

    /**
     * The processing task decided to keep the letter (its handling failed) and it was requeued.
     *
     * @param cause the task's cause for keeping it; null when it gave none
     */
    default void failed(StoredLetter letter, Throwable cause) {
    }

    /** A letter was removed through Axon's {@code evict}, in the removal's transaction ({@link #inTransaction}). */
    default void evicted(StoredLetter letter) {
    }

    /**
     * A group's letters were removed through Axon's {@code clear}, in the removal's transaction
     * ({@link #inTransaction}); not called when there were none.
     */
    default void cleared(String processingGroup, int letters) {
    }

    /**
     * Runs a removal through Axon's queue API ({@code evict}, {@code clear}) in a transaction: the caller's when there
     * is one, else one of the recorder's own, so that what {@link #evicted} and {@link #cleared} write commits with the
     * removal. Without a transaction manager of its own: as it is.
     */
    default <T> T inTransaction(Supplier<T> removal) {
        return removal.get();
    }
}
