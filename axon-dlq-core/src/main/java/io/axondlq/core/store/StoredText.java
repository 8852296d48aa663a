package io.axondlq.core.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Makes every text field of a letter storable, so that storing a letter never fails on its text: refusing a letter
 * would turn a poison event into a stalled processor. The one place where text is cleaned and cut: letter fields
 * ({@link #text}, {@link #identifier}), other stored text ({@link #cut}) and text quoted in messages
 * ({@link #shorten}).
 * <ul>
 *     <li>U+0000 (refused by PostgreSQL's text types) and lone surrogates (not encodable as UTF-8) become U+FFFD;</li>
 *     <li>lengths are cut to the column sizes, counted in UTF-16 units (never more characters than the column holds
 *     on either database) and never between the two halves of a surrogate pair;</li>
 *     <li>identifiers ({@link #identifier}) that have to be cut or cleaned keep a hash of the original, so that two
 *     different identifiers stay different and the same identifier always gives the same stored value.</li>
 * </ul>
 * The limits are the column sizes of the shipped schema ({@code db/axon-dlq/*}).
 */
public final class StoredText {

    /** Same bound as Axon's {@code ThrowableCause}, so causes compare equal across both queues. */
    public static final int CAUSE_MESSAGE = 1023;
    public static final int STACK_TRACE = 16_384;
    /**
     * Cause types are indexed together with the processing group; 1,500 UTF-8 bytes keeps that index entry below
     * PostgreSQL's btree row limit (about 2,700 bytes) whatever the group's name.
     */
    public static final int CAUSE_TYPE = 512;
    public static final int CAUSE_TYPE_BYTES = 1_500;
    public static final int EVENT_IDENTIFIER = 255;
    public static final int MESSAGE_TYPE = 255;
    public static final int PAYLOAD_TYPE = 512;
    public static final int PAYLOAD_REVISION = 255;
    public static final int AGGREGATE_TYPE = 255;
    public static final int AGGREGATE_IDENTIFIER = 255;
    public static final int TOKEN_TYPE = 512;
    /** Correlation id, trace id and node name. */
    public static final int SHORT_TEXT = 255;

    private static final char REPLACEMENT = '\uFFFD';
    /** "#" and 32 hex digits (128 bits of SHA-256) appended to a cut identifier. */
    private static final int HASH_SUFFIX = 33;

    private StoredText() {
    }

    /** Cleans the text and cuts it to {@code maxChars}. */
    public static String text(String value, int maxChars) {
        return value == null ? null : cut(clean(value), maxChars);
    }

    /** As {@link #text(String, int)}, and also to at most {@code maxBytes} bytes of UTF-8 (for indexed columns). */
    public static String text(String value, int maxChars, int maxBytes) {
        String text = text(value, maxChars);
        if (text == null || text.length() * 3 <= maxBytes) { // a UTF-16 unit never takes more than 3 bytes
            return text;
        }
        int bytes = 0;
        int end = 0;
        while (end < text.length()) {
            int codePoint = text.codePointAt(end);
            int size = new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
            if (bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            end += Character.charCount(codePoint);
        }
        return text.substring(0, end);
    }

    /**
     * An identifier that must stay distinct from every other one: returned as it is when it is clean and fits;
     * otherwise its cleaned prefix followed by {@code #} and a hash of the whole original.
     */
    public static String identifier(String value, int maxChars) {
        if (value == null) {
            return null;
        }
        String cleaned = clean(value);
        if (cleaned.equals(value) && value.length() <= maxChars) {
            return value;
        }
        if (maxChars <= HASH_SUFFIX) {
            throw new IllegalArgumentException("maxChars too small for a hashed identifier: " + maxChars);
        }
        return cut(cleaned, maxChars - HASH_SUFFIX) + "#" + hash(value);
    }

    /** Replaces U+0000 and lone surrogates by U+FFFD; returns the same instance when there is nothing to replace. */
    public static String clean(String value) {
        if (value == null) {
            return null;
        }
        StringBuilder cleaned = null;
        int length = value.length();
        for (int i = 0; i < length; i++) {
            char c = value.charAt(i);
            boolean bad;
            if (Character.isHighSurrogate(c)) {
                bad = i + 1 >= length || !Character.isLowSurrogate(value.charAt(i + 1));
                if (!bad) {
                    if (cleaned != null) {
                        cleaned.append(c).append(value.charAt(i + 1));
                    }
                    i++;
                    continue;
                }
            } else {
                bad = c == '\u0000' || Character.isLowSurrogate(c);
            }
            if (bad && cleaned == null) {
                cleaned = new StringBuilder(length).append(value, 0, i);
            }
            if (cleaned != null) {
                cleaned.append(bad ? REPLACEMENT : c);
            }
        }
        return cleaned == null ? value : cleaned.toString();
    }

    /**
     * Text for a message or a log line (an error detail quoting a request value, say): control characters become
     * {@code ?}, and text beyond {@code maxChars} is cut and marked with {@code …}. Null becomes empty.
     */
    public static String shorten(String value, int maxChars) {
        if (value == null) {
            return "";
        }
        StringBuilder printable = new StringBuilder(Math.min(value.length(), maxChars + 16));
        // One code point past the limit is enough to know that the text was cut.
        value.codePoints().limit(maxChars + 1L)
             .forEach(c -> printable.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        String text = clean(printable.toString());
        return text.length() > maxChars ? cut(text, maxChars) + "…" : text;
    }

    /** Cuts to {@code maxChars} UTF-16 units without splitting a surrogate pair; null stays null. */
    public static String cut(String value, int maxChars) {
        if (value == null || value.length() <= maxChars) {
            return value;
        }
        int end = maxChars;
        if (end > 0 && Character.isHighSurrogate(value.charAt(end - 1))) {
            end--;
        }
        return value.substring(0, end);
    }

    private static String hash(String value) {
        try {
            // UTF-16 bytes, not UTF-8: they encode lone surrogates and U+0000 losslessly.
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_16BE));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }

    /**
     * Whether {@code value} can be stored as it is in a column of at most {@code maxBytes} UTF-8 bytes: no U+0000
     * (PostgreSQL refuses it) and no lone surrogate (it has no UTF-8 form; PostgreSQL's driver would send "?").
     */
    public static boolean storableAsIs(String value, int maxBytes) {
        if (value.length() > maxBytes) {
            return false; // at least one byte per character
        }
        int bytes = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                bytes += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            } else {
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        return bytes <= maxBytes;
    }
}
