package io.axondlq.spring.properties;

/**
 * What an export (and, for callers without axon.dlq.security.payload-authority, a letter detail or listing) shows
 * of each letter's payload and failure texts.
 */
public enum PayloadMode {
    /** The payload as stored, cause messages and stack traces in full. */
    FULL,
    /**
     * The payload's structure with every value (string, number, boolean, at any depth) replaced by "***"; cause
     * messages, the messages in stack traces and diagnostics values masked too.
     */
    MASKED,
    /** No payload, only its type; cause messages, stack-trace messages and diagnostics masked as in MASKED. */
    NONE
}
