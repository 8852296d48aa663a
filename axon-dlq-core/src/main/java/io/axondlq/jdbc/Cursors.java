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

    /** Both databases store years 1 to 9999; a cursor outside them can only be forged. */
    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    static String letters(Instant enqueuedAt, UUID id) {
        return encode("L|" + enqueuedAt.getEpochSecond() + "|" + enqueuedAt.getNano() + "|" + id);
    }

    static TimeAndId decodeLetters(String cursor) {
        String[] parts = decode(cursor, 'L').split("\\|", 4);
        try {
            return new TimeAndId(time(parts[1], parts[2]), UUID.fromString(parts[3]));
        } catch (RuntimeException e) {
            throw new InvalidCursorException(cursor);
        }
    }

    static String sequences(String key) {
        return encode("S|" + key);
    }

    static String decodeSequences(String cursor) {
        return key(decode(cursor, 'S').substring(2), cursor);
    }

    static String heads(Instant touched, String key) {
        return encode("H|" + touched.getEpochSecond() + "|" + touched.getNano() + "|" + key);
    }

    static TimeAndKey decodeHeads(String cursor) {
        String[] parts = decode(cursor, 'H').split("\\|", 4);
        try {
            return new TimeAndKey(time(parts[1], parts[2]), key(parts[3], cursor));
        } catch (RuntimeException e) {
            throw new InvalidCursorException(cursor);
        }
    }

    /** A key we handed out is never longer than the column and never holds NUL, which PostgreSQL text refuses. */
    private static String key(String key, String cursor) {
        if (key.length() > SequenceKeys.MAX_KEY_LENGTH || key.indexOf('\u0000') >= 0) {
            throw new InvalidCursorException(cursor);
        }
        return key;
    }

    private static Instant time(String seconds, String nanos) {
        long nano = Long.parseLong(nanos);
        if (nano < 0 || nano > 999_999_999) {
            throw new IllegalArgumentException("nanos out of range");
        }
        Instant time = Instant.ofEpochSecond(Long.parseLong(seconds), nano);
        if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
            throw new IllegalArgumentException("time out of range");
        }
        return time;
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
