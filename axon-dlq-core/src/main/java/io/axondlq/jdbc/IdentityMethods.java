package io.axondlq.jdbc;

import java.lang.reflect.RecordComponent;
import java.util.HashSet;
import java.util.Set;

/**
 * Tells, once per class, whether {@code toString()} or {@code hashCode()} of its instances depends on object identity
 * and so differs from one JVM to the next: the class inherits {@link Object}'s method (Axon's
 * {@code SequentialPolicy} returns a plain {@code new Object()}), an enum's {@code hashCode()} ({@link Enum} keeps
 * Object's), or a record whose generated method folds in such a component (declared as {@code Object}, an array, an
 * enum for {@code hashCode()}, or a class that inherits Object's method). Interface-typed record components are
 * trusted, as is every class that declares its own method: they are expected to compute it from their value.
 * Answers are cached per class in a {@link ClassValue}, so asking on the hot path costs a lookup.
 */
final class IdentityMethods {

    private static final ClassValue<Boolean> IDENTITY_TO_STRING = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return identityBased(type, "toString", new HashSet<>());
        }
    };

    private static final ClassValue<Boolean> IDENTITY_HASH_CODE = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return identityBased(type, "hashCode", new HashSet<>());
        }
    };

    private IdentityMethods() {
    }

    static boolean toStringIsIdentityBased(Class<?> type) {
        return IDENTITY_TO_STRING.get(type);
    }

    static boolean hashCodeIsIdentityBased(Class<?> type) {
        return IDENTITY_HASH_CODE.get(type);
    }

    private static boolean identityBased(Class<?> type, String method, Set<Class<?>> visiting) {
        if (type.isPrimitive() || type.isInterface() || !visiting.add(type)) {
            // Primitives print and hash by value; interfaces are trusted; a record refers to itself: decided above.
            return false;
        }
        Class<?> declarer = declarerOf(type, method);
        if (declarer == Object.class || (declarer == Enum.class && method.equals("hashCode"))) {
            return true;
        }
        if (type.isRecord() && declarer == type) {
            for (RecordComponent component : type.getRecordComponents()) {
                if (component.getType() == Object.class
                        || identityBased(component.getType(), method, visiting)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Class<?> declarerOf(Class<?> type, String method) {
        try {
            return type.getMethod(method).getDeclaringClass();
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("Every class has " + method + "()", e);
        }
    }
}
