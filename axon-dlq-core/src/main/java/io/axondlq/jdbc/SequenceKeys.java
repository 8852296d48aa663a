package io.axondlq.jdbc;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.UUID;

/**
 * Encodes sequence identifiers into the keys the store files letters under, such that identifiers that are not
 * {@code equals} never share a key (Axon's JDBC queue uses {@code hashCode()} for non-String identifiers, merging
 * e.g. {@code 0L} and {@code 0x100000001L}).
 * <p>
 * Encoding: a {@code String} is stored as itself, readable in the REST API, unless it starts with {@code ~}, in
 * which case it gets one extra leading {@code ~}. Every other type is {@code ~<tag>:<value>}: {@code ~long:42},
 * {@code ~int:42}, {@code ~uuid:...}, and for any other type {@code ~<fully qualified class>:<toString()>}. The
 * mapping is injective as long as such other types have a {@code toString()} that is injective for their
 * {@code equals} (true for records, enums, and value types); supply your own encoder otherwise.
 */
public final class SequenceKeys {

    /** Longer keys are refused: they would not fit the key column and its index. */
    public static final int MAX_KEY_LENGTH = 1024;
    private static final char ESCAPE = '~';

    private SequenceKeys() {
    }

    public static String encode(Object sequenceIdentifier) {
        String key = encodeUnchecked(sequenceIdentifier);
        if (key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("Sequence identifier encodes to " + key.length()
                                                       + " characters, more than " + MAX_KEY_LENGTH);
        }
        return key;
    }

    private static String encodeUnchecked(Object id) {
        if (id == null) {
            throw new IllegalArgumentException("Sequence identifier must not be null");
        }
        if (id instanceof String s) {
            return !s.isEmpty() && s.charAt(0) == ESCAPE ? ESCAPE + s : s;
        }
        if (id instanceof Long l) {
            return "~long:" + l;
        }
        if (id instanceof Integer i) {
            return "~int:" + i;
        }
        if (id instanceof UUID u) {
            return "~uuid:" + u;
        }
        if (id instanceof Short || id instanceof Byte || id instanceof Character || id instanceof Boolean
                || id instanceof BigInteger) {
            return "~" + id.getClass().getSimpleName().toLowerCase() + ":" + id;
        }
        if (id instanceof BigDecimal d) {
            // equals() on BigDecimal distinguishes scale (1.0 vs 1.00); toString keeps the scale.
            return "~bigdecimal:" + d;
        }
        if (id instanceof Enum<?> e) {
            return "~" + e.getDeclaringClass().getName() + ":" + e.name();
        }
        return "~" + id.getClass().getName() + ":" + id;
    }
}
