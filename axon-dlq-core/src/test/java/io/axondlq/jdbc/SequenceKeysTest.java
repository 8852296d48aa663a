package io.axondlq.jdbc;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SequenceKeys}: injective, the same in every JVM, always storable, and backward compatible for the keys it
 * stored before (a String is itself).
 */
class SequenceKeysTest {

    public record OrderLine(String orderId, int line) {
    }

    public enum Region { EU, US }

    /** Neither toString nor hashCode overridden. */
    static final class Opaque {
    }

    public record Holder(Object value) {
    }

    public record Account(String tenant, Map<String, String> attributes) {
    }

    // --- injective -----------------------------------------------------------------------------------------------

    /** A small alphabet of the characters that matter to the encoding makes near-collisions frequent. */
    @Property(tries = 5_000)
    void distinctStringsNeverShareAKey(
            @ForAll @StringLength(max = 6) @Chars({'~', '\\', '0', 'u', ':', 'a', '\u0000', '\uD800', '\uDC00'})
            String a,
            @ForAll @StringLength(max = 6) @Chars({'~', '\\', '0', 'u', ':', 'a', '\u0000', '\uD800', '\uDC00'})
            String b) {
        assertThat(SequenceKeys.encode(a).equals(SequenceKeys.encode(b))).isEqualTo(a.equals(b));
    }

    @Property(tries = 5_000)
    void distinctValuesOfMixedTypesNeverShareAKey(@ForAll("identifiers") Object a, @ForAll("identifiers") Object b) {
        assertThat(SequenceKeys.encode(a).equals(SequenceKeys.encode(b))).as("%s / %s", a, b).isEqualTo(a.equals(b));
    }

    @Property(tries = 500)
    void distinctLongKeysStayDistinctWhenHashed(@ForAll @StringLength(min = 1_025, max = 3_000) String a,
                                                @ForAll @StringLength(min = 1_025, max = 3_000) String b) {
        assertThat(SequenceKeys.encode(a).equals(SequenceKeys.encode(b))).isEqualTo(a.equals(b));
    }

    @Provide
    Arbitrary<Object> identifiers() {
        Arbitrary<String> small = Arbitraries.strings().withChars("~:0123-a\\\u0000").ofMaxLength(4);
        Arbitrary<Integer> ints = Arbitraries.integers().between(-3, 3);
        return Arbitraries.oneOf(
                small.map(s -> (Object) s),
                ints.map(i -> (Object) i),
                ints.map(i -> (Object) (long) i),
                ints.map(i -> (Object) (short) (int) i),
                ints.map(i -> (Object) BigDecimal.valueOf(i, Math.abs(i) % 2)),
                ints.map(i -> (Object) new UUID(0, i)),
                Arbitraries.of(Region.class).map(r -> (Object) r),
                Combinators.combine(small, ints).as(OrderLine::new).map(o -> (Object) o),
                maps(small, ints).map(m -> (Object) m),
                maps(small, ints).map(m -> (Object) new Holder(m)),
                small.set().ofMaxSize(3).map(SequenceKeysTest::anotherSet));
    }

    /** Small maps of mixed key and value types, in an implementation and insertion order chosen by the generator. */
    private static Arbitrary<Map<Object, Object>> maps(Arbitrary<String> small, Arbitrary<Integer> ints) {
        Arbitrary<Object> parts = Arbitraries.oneOf(small.map(s -> (Object) s), ints.map(i -> (Object) i),
                                                    ints.map(i -> (Object) (long) i));
        return Combinators.combine(Arbitraries.maps(parts, parts).ofMaxSize(3), Arbitraries.integers().between(0, 3))
                          .as(SequenceKeysTest::anotherMap);
    }

    private static Map<Object, Object> anotherMap(Map<Object, Object> entries, int kind) {
        List<Map.Entry<Object, Object>> reversed = new ArrayList<>(entries.entrySet());
        java.util.Collections.reverse(reversed);
        return switch (kind) {
            case 0 -> Map.copyOf(entries);
            case 1 -> new HashMap<>(entries);
            case 2 -> {
                Map<Object, Object> linked = new LinkedHashMap<>();
                reversed.forEach(e -> linked.put(e.getKey(), e.getValue()));
                yield linked;
            }
            default -> {
                Map<Object, Object> small = new HashMap<>(1);
                reversed.forEach(e -> small.put(e.getKey(), e.getValue()));
                yield small;
            }
        };
    }

    private static Object anotherSet(Set<String> elements) {
        return elements.size() % 2 == 0 ? Set.copyOf(elements) : new TreeSet<>(elements).descendingSet();
    }

    // --- backward compatible -------------------------------------------------------------------------------------

    @Property
    void aStorableStringIsItsOwnKey(@ForAll @StringLength(max = 300) String s) {
        String key = SequenceKeys.encode(s);
        boolean plain = s.indexOf('\u0000') < 0 && isWellFormed(s) && utf8(s) <= SequenceKeys.MAX_KEY_BYTES;
        if (plain && !s.startsWith("~")) {
            assertThat(key).isEqualTo(s);
        } else if (plain) {
            assertThat(key).isEqualTo("~" + s);
        } else {
            assertThat(key).startsWith("~").doesNotStartWith("~~");
        }
    }

    @Example
    void keysOfTheEarlierVersionAreUnchanged() {
        assertThat(SequenceKeys.encode("order-1")).isEqualTo("order-1");
        assertThat(SequenceKeys.encode("~x")).isEqualTo("~~x");
        assertThat(SequenceKeys.encode(42L)).isEqualTo("~long:42");
        assertThat(SequenceKeys.encode(42)).isEqualTo("~int:42");
        assertThat(SequenceKeys.encode(new UUID(0, 1))).isEqualTo("~uuid:00000000-0000-0000-0000-000000000001");
        assertThat(SequenceKeys.encode(Region.EU)).isEqualTo("~" + Region.class.getName() + ":EU");
        assertThat(SequenceKeys.encode(new OrderLine("o", 2)))
                .isEqualTo("~" + OrderLine.class.getName() + ":OrderLine[orderId=o, line=2]");
        assertThat(SequenceKeys.encode("x".repeat(1_024))).isEqualTo("x".repeat(1_024));
    }

    // --- stable across JVMs --------------------------------------------------------------------------------------

    @Example
    void identityToStringIsEncodedByTheClassAlone() {
        assertThat(SequenceKeys.encode(new Object())).isEqualTo("~java.lang.Object")
                                                      .isEqualTo(SequenceKeys.encode(new Object()));
        assertThat(SequenceKeys.encode(new Opaque())).isEqualTo("~" + Opaque.class.getName());
        assertThat(SequenceKeys.encode(new Holder(new Object()))).isEqualTo("~" + Holder.class.getName());
        assertThat(SequenceKeys.encode(new int[]{1})).isEqualTo("~[I");
    }

    /** A generic record holding a value is keyed by that value: keyed by its class, one poison parked the group. */
    @Example
    void aRecordWithAnOpenComponentIsKeyedByTheValueItHolds() {
        assertThat(SequenceKeys.encode(new Holder("order-1")))
                .isEqualTo("~" + Holder.class.getName() + ":Holder[value=order-1]")
                .isEqualTo(SequenceKeys.encode(new Holder("order-1")))
                .isNotEqualTo(SequenceKeys.encode(new Holder("order-2")));
        assertThat(Segments.key(new Holder("order-1"))).isEqualTo(Segments.key(new Holder("order-1").hashCode()))
                                                       .isNotEqualTo(Segments.EVERY_SEGMENT);
        assertThat(Segments.key(new Holder(new Object()))).isEqualTo(Segments.EVERY_SEGMENT);
    }

    // --- maps and sets: no iteration order in the key (I2) -----------------------------------------------------------

    /**
     * Equal maps and sets print their entries in different orders: {@code Map.of} and {@code Set.of} in a per-JVM
     * random order, a {@code HashMap} by bucket (capacity) and within a bucket by insertion. Keyed by their toString,
     * an equal identifier after a restart (or on another node) got another key, so the events of a parked sequence
     * were handled live, ahead of its letters (found in review). "Aa" and "BB" share a hash: they share a bucket.
     */
    @Example
    void equalMapsAndSetsShareAKeyWhateverTheirOrderOrImplementation() {
        Map<String, String> aaFirst = new HashMap<>();
        aaFirst.put("Aa", "1");
        aaFirst.put("BB", "2");
        Map<String, String> bbFirst = new HashMap<>(64);
        bbFirst.put("BB", "2");
        bbFirst.put("Aa", "1");
        assertThat(aaFirst).isEqualTo(bbFirst);
        assertThat(aaFirst.toString()).as("the premise").isNotEqualTo(bbFirst.toString());
        String key = "~java.util.Map{\"Aa\":\"1\",\"BB\":\"2\"}";
        for (Map<String, String> map : List.of(aaFirst, bbFirst, Map.of("Aa", "1", "BB", "2"),
                                               Map.of("BB", "2", "Aa", "1"), new TreeMap<>(bbFirst),
                                               new LinkedHashMap<>(bbFirst), new LinkedHashMap<>(aaFirst))) {
            assertThat(SequenceKeys.encode(map)).as("%s, a %s", map, map.getClass().getName()).isEqualTo(key);
            assertThat(Segments.key(map)).isEqualTo(Segments.key(aaFirst.hashCode()));
        }

        Set<String> aaFirstSet = new LinkedHashSet<>(List.of("Aa", "BB", "c"));
        Set<String> bbFirstSet = new HashSet<>(2);
        bbFirstSet.addAll(List.of("c", "BB", "Aa"));
        assertThat(aaFirstSet.toString()).as("the premise").isNotEqualTo(bbFirstSet.toString());
        for (Set<String> set : List.of(aaFirstSet, bbFirstSet, Set.of("c", "BB", "Aa"), new TreeSet<>(bbFirstSet))) {
            assertThat(SequenceKeys.encode(set)).as("%s, a %s", set, set.getClass().getName())
                                                .isEqualTo("~java.util.Set[\"Aa\",\"BB\",\"c\"]");
        }
    }

    @Example
    void theKeyOfAMapTellsItsPartsApart() {
        assertThat(SequenceKeys.encode(Map.of())).isEqualTo("~java.util.Map{}");
        assertThat(SequenceKeys.encode(Set.of())).isEqualTo("~java.util.Set[]");
        assertThat(SequenceKeys.encode(Set.of(""))).isEqualTo("~java.util.Set[\"\"]");
        assertThat(SequenceKeys.encode(Map.of("n", 1))).isEqualTo("~java.util.Map{\"n\":\"~int:1\"}")
                                                      .isNotEqualTo(SequenceKeys.encode(Map.of("n", 1L)))
                                                      .isNotEqualTo(SequenceKeys.encode(Map.of("n", "1")));
        Map<String, String> nulls = new HashMap<>();
        nulls.put("k", null);
        assertThat(SequenceKeys.encode(nulls)).isEqualTo("~java.util.Map{\"k\":null}")
                                             .isNotEqualTo(SequenceKeys.encode(Map.of("k", "null")));
        // a separator or quote inside a part cannot fake another structure
        assertThat(SequenceKeys.encode(Map.of("a\",\"b", "c")))
                .isNotEqualTo(SequenceKeys.encode(Map.of("a", "b", "b", "c")));
        assertThat(SequenceKeys.encode(Map.of("a\",\"b", "c"))).isEqualTo("~java.util.Map{\"a\\\",\\\"b\":\"c\"}");
        assertThat(SequenceKeys.encode(Set.of("a\",\"b"))).isNotEqualTo(SequenceKeys.encode(Set.of("a", "b")));
        assertThat(SequenceKeys.encode(Map.of("m", Map.of("x", "y"))))
                .isEqualTo("~java.util.Map{\"m\":~java.util.Map{\"x\":\"y\"}}")
                .isNotEqualTo(SequenceKeys.encode(Map.of("m", "~java.util.Map{\"x\":\"y\"}")));
        // a string that looks like a structure is still a string
        assertThat(SequenceKeys.encode("~java.util.Map{}")).isEqualTo("~~java.util.Map{}");
    }

    /** A record holding a map printed the map's order: keyed by its parts, it is stable and equal for equal records. */
    @Example
    void aRecordOrListHoldingAMapIsKeyedByItsParts() {
        Map<String, String> attributes = new HashMap<>(64);
        attributes.put("region", "eu");
        attributes.put("account", "a7");
        Account account = new Account("t1", Map.of("account", "a7", "region", "eu"));
        String key = "~" + Account.class.getName()
                + "{tenant:\"t1\",attributes:~java.util.Map{\"account\":\"a7\",\"region\":\"eu\"}}";
        assertThat(SequenceKeys.encode(account)).isEqualTo(key)
                                                .isEqualTo(SequenceKeys.encode(new Account("t1", attributes)));
        assertThat(Segments.key(account)).isEqualTo(Segments.key(account.hashCode()));
        assertThat(SequenceKeys.encode(new Holder(Set.of("x", "y"))))
                .isEqualTo("~" + Holder.class.getName() + "{value:~java.util.Set[\"x\",\"y\"]}");
        assertThat(SequenceKeys.encode(new ArrayList<>(List.of("a", Map.of("b", 2)))))
                .isEqualTo("~java.util.ArrayList[\"a\",~java.util.Map{\"b\":\"~int:2\"}]");
        // without a map or set inside, records and lists keep their keys
        assertThat(SequenceKeys.encode(new Holder(List.of("x", 1))))
                .isEqualTo("~" + Holder.class.getName() + ":Holder[value=[x, 1]]");
        assertThat(SequenceKeys.encode(new ArrayList<>(List.of("a", 2)))).isEqualTo("~java.util.ArrayList:[a, 2]");
    }

    /**
     * An identity-based element: the key holds its class alone, so sets of different such elements share it; their
     * hash differs per JVM too. Every segment sees such a sequence.
     */
    @Example
    void aMapOrCollectionWithAnIdentityBasedElementIsSeenByEverySegment() {
        assertThat(SequenceKeys.encode(Set.of(new Object()))).isEqualTo("~java.util.Set[\"~java.lang.Object\"]")
                                                           .isEqualTo(SequenceKeys.encode(Set.of(new Object())));
        assertThat(Segments.key(Set.of(new Object()))).isEqualTo(Segments.EVERY_SEGMENT);
        assertThat(Segments.key(Map.of(Region.EU, "x"))).as("an enum hashes by identity")
                                                        .isEqualTo(Segments.EVERY_SEGMENT);
        assertThat(SequenceKeys.encode(Map.of(Region.EU, "x")))
                .isEqualTo("~java.util.Map{\"~" + Region.class.getName() + ":EU\":\"x\"}");
        assertThat(SequenceKeys.encode(List.of(new Object()))).doesNotContain("@");
        assertThat(Segments.key(List.of(new Object()))).isEqualTo(Segments.EVERY_SEGMENT);
        assertThat(SequenceKeys.encode(new Account("t1", Map.of("k", "v"))))
                .isNotEqualTo(SequenceKeys.encode(new Account("t1", Map.of("k", "w"))));
    }

    /** A map holding itself has no end: it is read as deep as IdentityMethods reads, which puts it in every segment. */
    @Example
    void aMapHoldingItselfIsEncoded() {
        Map<String, Object> self = new HashMap<>();
        self.put("self", self);
        assertThat(SequenceKeys.encode(self))
                .isEqualTo("~java.util.Map{\"self\":".repeat(IdentityMethods.MAX_DEPTH + 1) + "\"~java.util.HashMap\""
                                   + "}".repeat(IdentityMethods.MAX_DEPTH + 1));
        assertThat(IdentityMethods.toStringIsIdentityBased(self)).isTrue();
    }

    /** UTF-16 order (String.compareTo) and code point order disagree on a supplementary character vs U+E000. */
    @Example
    void theLockOrderIsCodePointOrder() {
        String privateUse = "k\ue000";
        String emoji = "k\ud83d\ude00"; // U+1F600
        assertThat(emoji.compareTo(privateUse)).as("UTF-16 order").isNegative();
        assertThat(SequenceKeys.LOCK_ORDER.compare(privateUse, emoji)).isNegative();
        assertThat(SequenceKeys.LOCK_ORDER.compare(emoji, privateUse)).isPositive();
        assertThat(SequenceKeys.LOCK_ORDER.compare(emoji, emoji)).isZero();
        assertThat(SequenceKeys.LOCK_ORDER.compare("k", emoji)).as("a prefix first").isNegative();
        assertThat(SequenceKeys.LOCK_ORDER.compare("k\uffff", emoji)).isNegative();
        assertThat(Stream.of(emoji, "k", "k\uffff", privateUse, "k\u00e9").sorted(SequenceKeys.LOCK_ORDER).toList())
                .containsExactly("k", "k\u00e9", privateUse, "k\uffff", emoji);
    }

    /** On a Turkish-locale JVM "I".toLowerCase() is a dotless "ı": a key must not depend on the default locale. */
    @Example
    void keysDoNotDependOnTheDefaultLocale() {
        Object[] ids = {BigInteger.valueOf(7), (short) 1, (byte) 2, 'c', true, "\ud800", "I-\udc00"};
        Locale original = Locale.getDefault();
        try {
            Locale.setDefault(Locale.ROOT);
            String[] underRoot = Arrays.stream(ids).map(SequenceKeys::encode).toArray(String[]::new);
            Locale.setDefault(new Locale("tr"));
            String[] underTurkish = Arrays.stream(ids).map(SequenceKeys::encode).toArray(String[]::new);
            assertThat(underTurkish).containsExactly(underRoot);
            assertThat(underTurkish[0]).isEqualTo("~biginteger:7");
        } finally {
            Locale.setDefault(original);
        }
    }

    @Example
    void axonsSequentialPolicyGetsAKeyWithoutIdentity() {
        Object id = new org.axonframework.eventhandling.async.SequentialPolicy().getSequenceIdentifierFor("any");
        assertThat(SequenceKeys.encode(id)).isEqualTo("~java.lang.Object");
    }

    // --- always storable -----------------------------------------------------------------------------------------

    @Property(tries = 2_000)
    void everyKeyIsStorable(@ForAll @StringLength(max = 2_500) String s) {
        assertStorable(SequenceKeys.encode(s));
        assertStorable(SequenceKeys.encode(new OrderLine(s, 1)));
    }

    @Example
    void theByteBoundDecidesWhatIsHashed() {
        assertThat(SequenceKeys.encode("a".repeat(1_025))).startsWith(SequenceKeys.HASHED_PREFIX).hasSize(73);
        assertThat(SequenceKeys.encode("\u00e9".repeat(512))).isEqualTo("\u00e9".repeat(512));
        assertThat(SequenceKeys.encode("\u00e9".repeat(513))).startsWith(SequenceKeys.HASHED_PREFIX);
        assertThat(SequenceKeys.encode("\u4e2d".repeat(341))).isEqualTo("\u4e2d".repeat(341));
        assertThat(SequenceKeys.encode("\u4e2d".repeat(342))).startsWith(SequenceKeys.HASHED_PREFIX);
        assertThat(SequenceKeys.encode("\uD83D\uDE00".repeat(256))).isEqualTo("\uD83D\uDE00".repeat(256));
        assertThat(SequenceKeys.encode("\uD83D\uDE00".repeat(1_000))).startsWith(SequenceKeys.HASHED_PREFIX);
        assertThat(SequenceKeys.encode("\uD83D\uDE00".repeat(1_000)))
                .isNotEqualTo(SequenceKeys.encode("\uD83D\uDE00".repeat(1_001)));
    }

    @Example
    void unstorableCharactersAreEscapedReadably() {
        assertThat(SequenceKeys.encode("a\u0000b")).isEqualTo("~java.lang.String:a\\0b");
        assertThat(SequenceKeys.encode("a\\0b")).isEqualTo("a\\0b");
        assertThat(SequenceKeys.encode("\\\u0000")).isEqualTo("~java.lang.String:\\\\\\0");
        assertThat(SequenceKeys.encode("x\uD800")).isEqualTo("~java.lang.String:x\\ud800");
        assertThat(SequenceKeys.encode(new OrderLine("\u0000", 1))).startsWith(SequenceKeys.HASHED_PREFIX);
    }

    @Example
    void aHashedKeyKeepsItsFullKeyAndIsItsOwnStoredForm() {
        String id = "k".repeat(2_000);
        SequenceKeys.StoredKey stored = SequenceKeys.stored(id);
        assertThat(stored.hashed()).isTrue();
        assertThat(stored.fullKey()).isEqualTo(id);
        assertThat(SequenceKeys.storable(stored.key())).isEqualTo(new SequenceKeys.StoredKey(stored.key(), null));
        assertThat(SequenceKeys.stored("short").fullKey()).isNull();

        SequenceKeys.StoredKey huge = SequenceKeys.stored("h".repeat(SequenceKeys.MAX_FULL_KEY_LENGTH + 1));
        assertThat(huge.fullKey()).startsWith("~sha-512:").hasSize(9 + 128);
    }

    private static void assertStorable(String key) {
        assertThat(key).doesNotContain("\u0000");
        assertThat(isWellFormed(key)).as("well-formed UTF-16").isTrue();
        assertThat(utf8(key)).isLessThanOrEqualTo(SequenceKeys.MAX_KEY_BYTES);
    }

    private static boolean isWellFormed(String s) {
        return StandardCharsets.UTF_8.newEncoder().canEncode(s);
    }

    private static int utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
