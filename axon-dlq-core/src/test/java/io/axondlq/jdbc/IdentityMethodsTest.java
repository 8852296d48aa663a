package io.axondlq.jdbc;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class IdentityMethodsTest {

    enum Color { RED }

    static final class Opaque {
    }

    static final class Named {
        @Override
        public String toString() {
            return "named";
        }
    }

    record Plain(String a, long b, UUID c) {
    }

    record WithEnum(Color color) {
    }

    record WithObject(Object any) {
    }

    record WithArray(int[] values) {
    }

    record WithList(List<String> values) {
    }

    record Nested(Plain plain, WithEnum withEnum) {
    }

    record Recursive(String value, Recursive next) {
    }

    record TypedId<T>(T value) {
    }

    record Amount(Number value) {
    }

    record Outer(TypedId<?> inner) {
    }

    record Pair(TypedId<?> first, TypedId<?> second) {
    }

    record Node<T>(T value, Node<T> next) {
    }

    @Test
    void valueTypesAreStable() {
        for (Object value : List.of("a", 1L, 2, UUID.randomUUID(), BigDecimal.ONE, new Plain("a", 1, UUID.randomUUID()),
                                    new WithList(List.of("x")), new Recursive("a", new Recursive("b", null)))) {
            assertThat(IdentityMethods.toStringIsIdentityBased(value)).as("toString of %s", value).isFalse();
            assertThat(IdentityMethods.hashCodeIsIdentityBased(value)).as("hashCode of %s", value).isFalse();
        }
    }

    @Test
    void identityIsFoundInTheClassOrItsRecordComponents() {
        assertThat(IdentityMethods.toStringIsIdentityBased(new Object())).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new Object())).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Opaque())).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Named())).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new Named())).isTrue();
        // Enum.hashCode() is Object's: identity. Its toString() is the name.
        assertThat(IdentityMethods.toStringIsIdentityBased(Color.RED)).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(Color.RED)).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new WithEnum(Color.RED))).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new WithEnum(Color.RED))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new Nested(null, new WithEnum(Color.RED)))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new WithObject(new Object()))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new WithObject(new Object()))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new WithArray(new int[]{1}))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new int[]{1})).isTrue();
    }

    /**
     * A component declared as a type variable, {@code Object}, an interface or a class open to subclasses is judged by
     * the value it holds: judged by the declaration, every {@code TypedId} got one key and one segment for the whole
     * group (found in review).
     */
    @Test
    void openRecordComponentsAreJudgedByTheirValues() {
        assertThat(IdentityMethods.toStringIsIdentityBased(new TypedId<>("order-1"))).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new TypedId<>(UUID.randomUUID()))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new TypedId<>(null))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new TypedId<>(new Opaque()))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new TypedId<>(Color.RED))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new Amount(12L))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new WithObject("x"))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Outer(new TypedId<>("x")))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Outer(new TypedId<>(new Object())))).isTrue();
        // Every component is read, also the second of a type decided once already, and along a self-reference.
        assertThat(IdentityMethods.toStringIsIdentityBased(new Pair(new TypedId<>("x"), new TypedId<>("y")))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Pair(new TypedId<>("x"), new TypedId<>(new Object()))))
                .isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Node<>("a", new Node<>("b", null)))).isFalse();
        assertThat(IdentityMethods.toStringIsIdentityBased(new Node<>("a", new Node<>(new Object(), null)))).isTrue();
    }

    record WithMap(String id, Map<String, ?> values) {
    }

    record Wrapper(WithMap inner) {
    }

    /**
     * A map or collection prints and hashes its elements: an identity-based element makes it identity-based (I2:
     * {@code Set.of(new Object())} printed an identity hash, {@code Map.of(RED, x)} hashed an enum's identity).
     */
    @Test
    void mapsAndCollectionsAreJudgedByTheirElements() {
        for (Object value : List.of(Map.of("a", 1), Set.of("a"), List.of("a", 1L),
                                    new ArrayList<>(List.of(UUID.randomUUID())),
                                    new WithMap("a", Map.of("b", List.of("c"))))) {
            assertThat(IdentityMethods.toStringIsIdentityBased(value)).as("toString of %s", value).isFalse();
            assertThat(IdentityMethods.hashCodeIsIdentityBased(value)).as("hashCode of %s", value).isFalse();
        }
        assertThat(IdentityMethods.toStringIsIdentityBased(Set.of(new Object()))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(List.of("a", new Opaque()))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(Map.of("k", new Opaque()))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(Map.of(new Opaque(), "v"))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(Map.of(Color.RED, "v"))).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(Map.of(Color.RED, "v"))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new EnumMap<>(Map.of(Color.RED, "v")))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(List.of(List.of(new Named())))).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(new WithMap("a", Map.of("b", new Object())))).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(new Wrapper(new WithMap("a", Map.of("b", Color.RED)))))
                .isTrue();
    }

    /** A map or set prints in its iteration order, which differs per JVM ({@code Map.of}) or per history. */
    @Test
    void toStringFollowsTheIterationOrderOfAMapOrSetHeldAtAnyDepth() {
        for (Object value : List.of(Map.of(), new HashMap<>(), Set.of("a"), new WithMap("a", Map.of()),
                                    new Wrapper(new WithMap("a", Map.of())), new TypedId<>(Set.of()),
                                    List.of("a", Map.of()), new Outer(new TypedId<>(List.of(Set.of()))))) {
            assertThat(IdentityMethods.toStringFollowsIterationOrder(value)).as("%s", value).isTrue();
        }
        for (Object value : List.of("a", 1L, new Plain("a", 1, UUID.randomUUID()), List.of("a", List.of(1)),
                                    new WithList(List.of("x")), new TypedId<>("x"), new WithObject(null))) {
            assertThat(IdentityMethods.toStringFollowsIterationOrder(value)).as("%s", value).isFalse();
        }
        assertThat(IdentityMethods.toStringFollowsIterationOrder(new Wrapper(new WithMap("a", null)))).isFalse();
    }
}
