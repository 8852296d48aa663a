package io.axondlq.jdbc;

import io.axondlq.core.store.CursorCodec;

import java.time.Instant;
import java.util.UUID;

/**
 * The store's keyset cursors (letters, sequences, claimable heads), written and read with the one
 * {@link CursorCodec}: a kind letter plus the last row's sort key.
 */
final class Cursors {

    private Cursors() {
    }

    record TimeAndId(Instant time, UUID id) {
    }

    record TimeAndKey(Instant time, String key) {
    }

    static String letters(Instant enqueuedAt, UUID id) {
        return CursorCodec.encode('L', enqueuedAt.getEpochSecond(), enqueuedAt.getNano(), id);
    }

    static TimeAndId decodeLetters(String cursor) {
        String[] parts = CursorCodec.decode(cursor, 'L', 3);
        return new TimeAndId(CursorCodec.instant(parts[0], parts[1], cursor), CursorCodec.uuid(parts[2], cursor));
    }

    static String sequences(String key) {
        return CursorCodec.encode('S', key);
    }

    static String decodeSequences(String cursor) {
        return key(CursorCodec.decode(cursor, 'S', 1)[0], cursor);
    }

    static String heads(Instant touched, String key) {
        return CursorCodec.encode('H', touched.getEpochSecond(), touched.getNano(), key);
    }

    static TimeAndKey decodeHeads(String cursor) {
        String[] parts = CursorCodec.decode(cursor, 'H', 3);
        return new TimeAndKey(CursorCodec.instant(parts[0], parts[1], cursor), key(parts[2], cursor));
    }

    /** A key we handed out is never longer than the column and never holds NUL, which PostgreSQL text refuses. */
    private static String key(String key, String cursor) {
        return CursorCodec.text(key, SequenceKeys.MAX_KEY_LENGTH, cursor);
    }
}
