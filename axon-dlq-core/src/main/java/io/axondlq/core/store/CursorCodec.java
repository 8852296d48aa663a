package io.axondlq.core.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/**
 * The one codec of opaque keyset cursors, for every listing (letters, sequences, retry jobs, the audit log): a kind
 * letter and the last row's sort key, {@code K|part|part...}, base64url-encoded without padding. Decoding validates
 * everything and refuses what it cannot read with {@link InvalidCursorException}, so that a forged cursor is a clear
 * client error and never reaches SQL as anything but a typed value. The parts of a listing are its own business
 * ({@code io.axondlq.jdbc.Cursors} for the store's listings).
 */
public final class CursorCodec {

    /** Both databases store years 1 to 9999; a cursor time outside them can only be forged. */
    public static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private CursorCodec() {
    }

    /** {@code kind|part|part...}, encoded; only the last part may contain {@code |}. */
    public static String encode(char kind, Object... parts) {
        StringBuilder plain = new StringBuilder().append(kind);
        for (Object part : parts) {
            plain.append('|').append(part);
        }
        return ENCODER.encodeToString(plain.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The {@code parts} parts of a cursor of {@code kind}; the last one holds the rest of the cursor.
     *
     * @throws InvalidCursorException when it is no cursor of this kind with that many parts
     */
    public static String[] decode(String cursor, char kind, int parts) {
        String plain;
        try {
            plain = new String(DECODER.decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(cursor);
        }
        if (plain.length() < 2 || plain.charAt(0) != kind || plain.charAt(1) != '|') {
            throw new InvalidCursorException(cursor);
        }
        String[] split = plain.substring(2).split("\\|", parts);
        if (split.length != parts) {
            throw new InvalidCursorException(cursor);
        }
        return split;
    }

    /** An instant written as two parts (epoch seconds, nanos), within the years databases store. */
    public static Instant instant(String seconds, String nanos, String cursor) {
        try {
            long nano = Long.parseLong(nanos);
            if (nano < 0 || nano > 999_999_999) {
                throw new InvalidCursorException(cursor);
            }
            Instant time = Instant.ofEpochSecond(Long.parseLong(seconds), nano);
            if (time.isBefore(EARLIEST) || time.isAfter(LATEST)) {
                throw new InvalidCursorException(cursor);
            }
            return time;
        } catch (RuntimeException e) {
            throw e instanceof InvalidCursorException invalid ? invalid : new InvalidCursorException(cursor);
        }
    }

    public static UUID uuid(String value, String cursor) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(cursor);
        }
    }

    /** A text part: at most {@code maxLength} characters and no NUL (which PostgreSQL's text types refuse). */
    public static String text(String value, int maxLength, String cursor) {
        if (value.length() > maxLength || value.indexOf('\u0000') >= 0) {
            throw new InvalidCursorException(cursor);
        }
        return value;
    }

    public static long number(String value, String cursor) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidCursorException(cursor);
        }
    }
}
