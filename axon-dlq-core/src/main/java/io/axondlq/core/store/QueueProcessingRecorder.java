package io.axondlq.core.store;

/**
 * Hears how {@link GroupDeadLetterQueue#process} resolved each letter (Axon's own dead-letter processing, e.g.
 * {@code EventProcessingConfiguration.sequencedDeadLetterProcessor(group).processAny()}), inside the transaction that
 * records that outcome, so that what it writes (the audit entry) commits with the outcome or not at all. Throwing
 * stops the processing: the exception leaves {@code process}, and the caller's unit of work rolls back.
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
}
