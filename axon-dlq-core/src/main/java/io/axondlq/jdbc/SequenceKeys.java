package io.axondlq.jdbc;

import io.axondlq.core.store.StoredText;

import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.UUID;

/**
 * Encodes sequence identifiers into the keys the store files letters under, such that identifiers that are not
 * {@code equals} never share a key (Axon's JDBC queue uses {@code hashCode()} for non-String identifiers, merging
 * e.g. {@code 0L} and {@code 0x100000001L}), every JVM computes the same key for the same value, and every key can be
 * stored and indexed on PostgreSQL and H2. Encoding never throws for a non-null identifier.
 * <p>
 * Encoding:
 * <ul>
 *     <li>A {@code String} is stored as itself, readable in the REST API, unless it starts with {@code ~}, in which
 *     case it gets one extra leading {@code ~}. A String holding a character PostgreSQL cannot store (U+0000, or a
 *     lone surrogate) becomes {@code ~java.lang.String:<escaped>}, where {@code \} is written {@code \\}, U+0000
 *     {@code \0} and a lone surrogate {@code \}{@code uXXXX}.</li>
 *     <li>Every other type is {@code ~<tag>:<value>}: {@code ~long:42}, {@code ~int:42}, {@code ~uuid:...}, an enum
 *     constant {@code ~<enum class>:<name>}, and any other type {@code ~<fully qualified class>:<toString()>}. The
 *     mapping is injective as long as such other types have a {@code toString()} that is injective for their
 *     {@code equals} (true for records, enums, and value types); supply your own encoder otherwise.</li>
 *     <li>A {@link Map} or {@link Set} prints in its iteration order, which is no property of its value:
 *     {@code Map.of} and {@code Set.of} randomize it per JVM, a {@code HashMap}'s depends on its capacity and
 *     insertion history; and equal maps of different classes are equal. It is encoded from the keys of its parts,
 *     sorted by their text: {@code ~java.util.Map{"account":"a7","region":"eu"}},
 *     {@code ~java.util.Set["a","~int:1"]} (a part is {@code null}, its key in double quotes with {@code \} and
 *     {@code "} escaped, or a nested structure as is). So is a record or collection holding one at any depth, in its
 *     own order: {@code ~<record class>{tenant:"t1",attrs:~java.util.Map{...}}},
 *     {@code ~java.util.ArrayList["a",~java.util.Set[...]]}. A bracket after the type name, where every other key
 *     has {@code :} or ends, sets these keys apart.</li>
 *     <li>A type whose {@code toString()} is identity-based (inherited from {@link Object}, or a record or collection
 *     with such a component or element; see {@link IdentityMethods}) would print differently in every JVM, so it is
 *     encoded by its class alone: {@code ~<fully qualified class>}. All instances of such a class then share one
 *     sequence: the conservative choice for ordering (events that might belong together are never reordered), at the
 *     price of parallelism between them. Axon's {@code SequentialPolicy} (one static {@code new Object()}) becomes
 *     {@code ~java.lang.Object}.</li>
 *     <li>A key of more than {@link #MAX_KEY_BYTES} UTF-8 bytes, or one whose {@code toString()} part holds a
 *     character PostgreSQL cannot store, is stored hashed: {@code ~sha-256:<64 hex digits>} of the escaped key. The
 *     store keeps the escaped key with the sequence (up to {@link #MAX_FULL_KEY_LENGTH} characters, beyond that its
 *     SHA-512) and refuses to put two different identifiers into one hashed sequence
 *     ({@link SequenceKeyCollisionException}).</li>
 * </ul>
 * Tags and class names produced by {@code javac} never contain {@code -}, so {@code ~sha-256:} is no other key's
 * prefix.
 */
public final class SequenceKeys {

    /**
     * Longest stored key, in UTF-8 bytes (and so in characters). It fits the {@code VARCHAR(1024)} key columns, and
     * with a processing group name of up to 255 characters (at most 1,020 bytes) an index entry stays under
     * PostgreSQL's B-tree limit of 2,704 bytes.
     */
    public static final int MAX_KEY_BYTES = 1024;
    /** No stored key is longer, in characters; the same bound as {@link #MAX_KEY_BYTES}. */
    public static final int MAX_KEY_LENGTH = MAX_KEY_BYTES;
    /** Longest full key kept for the collision check of a hashed key; longer ones are kept as their SHA-512. */
    static final int MAX_FULL_KEY_LENGTH = 65_536;
    static final String HASHED_PREFIX = "~sha-256:";
    private static final String FULL_KEY_DIGEST_PREFIX = "~sha-512:";
    private static final char ESCAPE = '~';
    private static final String ESCAPED_STRING_PREFIX = "~java.lang.String:";

    /**
     * The order the store locks several sequence rows of a group in: a batch's appends ({@code appendIfParked}) and a
     * group erase ({@code evictGroup}) both take them in it, so the two cannot deadlock. By code point, which is the
     * order of the keys' UTF-8 bytes: PostgreSQL's erase locks in it with one statement ({@code COLLATE "C"}); H2's
     * locks the rows one by one, as H2 locks a statement's rows in its scan's index order (UTF-16 order, where a
     * supplementary character, a surrogate pair D800-DBFF, comes before U+E000..U+FFFF), whatever the ORDER BY (see
     * {@link DeadLetterStatements#lockGroupSequences()}).
     */
    static final Comparator<String> LOCK_ORDER = SequenceKeys::compareByCodePoint;

    private SequenceKeys() {
    }

    /** The key under which the store files letters of this sequence identifier. */
    public static String encode(Object sequenceIdentifier) {
        return stored(sequenceIdentifier).key();
    }

    /**
     * A stored key and, when the key is a hash, the escaped full key that the store keeps to detect collisions.
     *
     * @param fullKey null unless {@code key} is a hash
     */
    record StoredKey(String key, String fullKey) {

        boolean hashed() {
            return fullKey != null;
        }
    }

    static StoredKey stored(Object sequenceIdentifier) {
        return storable(unbounded(sequenceIdentifier));
    }

    /** The key itself when it is storable as is, its hash otherwise. Storable keys map to themselves. */
    static StoredKey storable(String encoded) {
        if (encoded == null) {
            throw new IllegalArgumentException("Sequence key must not be null");
        }
        return StoredText.storableAsIs(encoded, MAX_KEY_BYTES) ? new StoredKey(encoded, null) : hashed(encoded);
    }

    private static String unbounded(Object id) {
        if (id == null) {
            throw new IllegalArgumentException("Sequence identifier must not be null");
        }
        if (id instanceof String s) {
            if (!storableText(s)) {
                return ESCAPED_STRING_PREFIX + escape(s);
            }
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
            // Locale.ROOT: under a Turkish default locale "BigInteger" would lower to "bıgınteger", another key.
            return "~" + id.getClass().getSimpleName().toLowerCase(Locale.ROOT) + ":" + id;
        }
        if (id instanceof BigDecimal d) {
            // equals() on BigDecimal distinguishes scale (1.0 vs 1.00); toString keeps the scale.
            return "~bigdecimal:" + d;
        }
        if (id instanceof Enum<?> e) {
            return "~" + e.getDeclaringClass().getName() + ":" + e.name();
        }
        if (id instanceof Map<?, ?> || id instanceof Set<?>) {
            return structure(id, 0); // its toString follows an iteration order that differs per JVM
        }
        boolean identityBased = IdentityMethods.toStringIsIdentityBased(id); // judged once per identifier
        if (!identityBased && IdentityMethods.toStringFollowsIterationOrder(id)) {
            return structure(id, 0); // a record or collection holding a map or set
        }
        if (identityBased) {
            return "~" + stableClassName(id.getClass());
        }
        return "~" + id.getClass().getName() + ":" + id;
    }

    /**
     * The key of a {@link Map} or {@link Set}, or of a record or collection holding one (at any depth), built from its
     * parts' keys: a map's entries and a set's elements sorted by their text, so that neither the iteration order
     * ({@code Map.of} and {@code Set.of} randomize it per JVM; a {@code HashMap}'s depends on its capacity and history)
     * nor the implementation (equal maps are equal whatever their class) enters the key. Parts are {@code null} or a
     * part's key in double quotes ({@code \} and {@code "} escaped), or a nested structure like this one written as
     * is; the brackets after the type name ({@code :} in every other key) set these keys apart from all others.
     */
    private static String structure(Object value, int depth) {
        if (value instanceof Map<?, ?> map) {
            List<String> entries = new ArrayList<>(map.size());
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                entries.add(part(entry.getKey(), depth + 1) + ":" + part(entry.getValue(), depth + 1));
            }
            return "~java.util.Map" + sortedJoin(entries, "{", "}");
        }
        if (value instanceof Set<?> set) {
            List<String> elements = new ArrayList<>(set.size());
            for (Object element : set) {
                elements.add(part(element, depth + 1));
            }
            return "~java.util.Set" + sortedJoin(elements, "[", "]");
        }
        String type = "~" + stableClassName(value.getClass());
        if (value instanceof Collection<?> collection) {
            // Lists keep their order and, as before, their class.
            StringJoiner elements = new StringJoiner(",", "[", "]");
            for (Object element : collection) {
                elements.add(part(element, depth + 1));
            }
            return type + elements;
        }
        Method[] accessors = ACCESSORS.get(value.getClass());
        if (accessors == null) {
            return type; // a record of a closed module, unreadable: keyed by its class alone
        }
        StringJoiner components = new StringJoiner(",", "{", "}");
        for (Method accessor : accessors) {
            components.add(accessor.getName() + ":" + part(IdentityMethods.read(accessor, value), depth + 1));
        }
        return type + components;
    }

    /** @param depth of the value in the identifier: a structure deeper than IdentityMethods reads is not read */
    private static String part(Object value, int depth) {
        if (value == null) {
            return "null";
        }
        if (!structured(value)) {
            return quote(unbounded(value));
        }
        if (depth > IdentityMethods.MAX_DEPTH) {
            // IdentityMethods judges it identity-based too, so every segment sees this key (Segments).
            return quote("~" + stableClassName(value.getClass()));
        }
        return structure(value, depth);
    }

    /** Whether the value is keyed by its {@link #structure}. */
    private static boolean structured(Object value) {
        return value instanceof Map<?, ?> || value instanceof Set<?>
                || (!IdentityMethods.toStringIsIdentityBased(value)
                        && IdentityMethods.toStringFollowsIterationOrder(value));
    }

    private static String quote(String key) {
        return "\"" + key.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static String sortedJoin(List<String> parts, String open, String close) {
        parts.sort(Comparator.naturalOrder());
        return open + String.join(",", parts) + close;
    }

    /** A record's component accessors, in declaration order; null when one cannot be made accessible. */
    private static final ClassValue<Method[]> ACCESSORS = new ClassValue<>() {
        @Override
        protected Method[] computeValue(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            Method[] accessors = new Method[components.length];
            for (int i = 0; i < components.length; i++) {
                accessors[i] = components[i].getAccessor();
                if (!accessors[i].trySetAccessible()) {
                    return null;
                }
            }
            return accessors;
        }
    };

    /** A hidden class (a lambda, say) is named {@code Outer$$Lambda/0x<address>}: the address differs per JVM. */
    private static String stableClassName(Class<?> type) {
        String name = type.getName();
        int slash = type.isHidden() ? name.indexOf('/') : -1;
        return slash < 0 ? name : name.substring(0, slash);
    }

    /** Whether every character can be stored: no U+0000 (PostgreSQL refuses it), no lone surrogate (no UTF-8). */
    private static boolean storableText(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return false;
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return false;
                }
            }
        }
        return true;
    }

    private static int compareByCodePoint(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Injective and free of characters PostgreSQL cannot store. */
    static String escape(String s) {
        StringBuilder escaped = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                escaped.append("\\\\");
            } else if (c == 0) {
                escaped.append("\\0");
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                escaped.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                escaped.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                escaped.append(c);
            }
        }
        return escaped.toString();
    }

    private static StoredKey hashed(String encoded) {
        String full = escape(encoded);
        byte[] bytes = full.getBytes(StandardCharsets.UTF_8);
        String key = HASHED_PREFIX + HexFormat.of().formatHex(digest("SHA-256", bytes));
        String kept = full.length() <= MAX_FULL_KEY_LENGTH
                ? full : FULL_KEY_DIGEST_PREFIX + HexFormat.of().formatHex(digest("SHA-512", bytes));
        return new StoredKey(key, kept);
    }

    private static byte[] digest(String algorithm, byte[] bytes) {
        try {
            return MessageDigest.getInstance(algorithm).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM provides " + algorithm, e);
        }
    }
}
