package io.axondlq.jdbc;

import io.axondlq.core.store.InvalidCursorException;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * Opaque keyset cursors: a kind letter plus the last row's sort key, base64url-encoded. Decoding validates
 * everything, so a forged cursor is a clear client error and never reaches SQL as anything but a typed value.
 */
final class Cursors {

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private Cursors() {
    }

    record TimeAndId(Instant time, UUID id) {
    }

    record TimeAndKey(Instant time, String key) {
    }

    static String letters(Instant enqueuedAt, UUID id) {
        return encode("L|" + enqueuedAt.getEpochSecond() + "|" + enqueuedAt.getNano() + "|" + id);
    }

    static TimeAndId decodeLetters(String cursor) {
        String[] parts = decode(cursor, 'L').split("\\|", 4);
        try {
            return new TimeAndId(Instant.ofEpochSecond(Long.parseLong(parts[1]), Long.parseLong(parts[2])),
                                 UUID.fromString(parts[3]));
        } catch (RuntimeException e) {
            throw new InvalidCursorException(cursor);
        }
    }

    static String sequences(String key) {
        return encode("S|" + key);
    }

    static String decodeSequences(String cursor) {
        return decode(cursor, 'S').substring(2);
    }

    static String heads(Instant touched, String key) {
        return encode("H|" + touched.getEpochSecond() + "|" + touched.getNano() + "|" + key);
    }

    static TimeAndKey decodeHeads(String cursor) {
        String[] parts = decode(cursor, 'H').split("\\|", 4);
        try {
            return new TimeAndKey(Instant.ofEpochSecond(Long.parseLong(parts[1]), Long.parseLong(parts[2])),
                                  parts[3]);
        } catch (RuntimeException e) {
            throw new InvalidCursorException(cursor);
        }
    }

    private static String encode(String plain) {
        return ENCODER.encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String cursor, char kind) {
        String plain;
        try {
            plain = new String(DECODER.decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(cursor);
        }
        if (plain.length() < 2 || plain.charAt(0) != kind || plain.charAt(1) != '|') {
            throw new InvalidCursorException(cursor);
        }
        return plain;
    }
}
