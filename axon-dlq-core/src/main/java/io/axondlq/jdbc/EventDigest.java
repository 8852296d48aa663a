package io.axondlq.jdbc;

import io.axondlq.core.store.SerializedEvent;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What tells two events with one identifier apart: Axon gives every event an upcaster splits a stored event into the
 * source's identifier, so "one letter per event" is per (identifier, digest of payload type, revision and bytes). An
 * event delivered again serializes to the same bytes and so to the same digest.
 */
final class EventDigest {

    private EventDigest() {
    }

    /** SHA-256 of the payload type, revision and bytes, as 64 hex digits. */
    static String of(SerializedEvent event) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        digest.update(String.valueOf(event.payloadType()).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(String.valueOf(event.payloadRevision()).getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
        digest.update(event.payload() == null ? new byte[0] : event.payload());
        return HexFormat.of().formatHex(digest.digest());
    }
}
