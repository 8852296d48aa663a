package io.axondlq.core.store;

/**
 * A parked sequence that is due for an automatic retry.
 *
 * @param retries automatic retries the sequence has had so far
 */
public record DueSequence(String sequenceKey, int retries) {
}
