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
import java.util.Arrays;
import java.util.Locale;
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
                Combinators.combine(small, ints).as(OrderLine::new).map(o -> (Object) o));
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
