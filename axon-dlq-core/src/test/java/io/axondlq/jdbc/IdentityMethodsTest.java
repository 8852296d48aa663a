package io.axondlq.jdbc;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
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

    @Test
    void valueTypesAreStable() {
        for (Class<?> type : List.of(String.class, Long.class, Integer.class, UUID.class, BigDecimal.class,
                                     Plain.class, WithList.class, Recursive.class)) {
            assertThat(IdentityMethods.toStringIsIdentityBased(type)).as("toString of %s", type).isFalse();
            assertThat(IdentityMethods.hashCodeIsIdentityBased(type)).as("hashCode of %s", type).isFalse();
        }
    }

    @Test
    void identityIsFoundInTheClassOrItsRecordComponents() {
        assertThat(IdentityMethods.toStringIsIdentityBased(Object.class)).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(Object.class)).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(Opaque.class)).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(Named.class)).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(Named.class)).isTrue();
        // Enum.hashCode() is Object's: identity. Its toString() is the name.
        assertThat(IdentityMethods.toStringIsIdentityBased(Color.class)).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(Color.class)).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(WithEnum.class)).isFalse();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(WithEnum.class)).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(Nested.class)).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(WithObject.class)).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(WithObject.class)).isTrue();
        assertThat(IdentityMethods.toStringIsIdentityBased(WithArray.class)).isTrue();
        assertThat(IdentityMethods.hashCodeIsIdentityBased(int[].class)).isTrue();
    }
}
