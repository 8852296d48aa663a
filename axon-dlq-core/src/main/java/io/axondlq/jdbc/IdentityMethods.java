package io.axondlq.jdbc;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Tells whether {@code toString()} or {@code hashCode()} of a value depends on object identity and so differs from
 * one JVM to the next: its class inherits {@link Object}'s method (Axon's {@code SequentialPolicy} returns a plain
 * {@code new Object()}), an enum's {@code hashCode()} ({@link Enum} keeps Object's), or it is a record whose
 * generated method folds in such a component (an array, an enum for {@code hashCode()}, a class that inherits
 * Object's method). Every class that declares its own method is trusted to compute it from its value.
 * <p>
 * A record component whose declared type leaves the class open ({@code Object}, a type variable, an interface, a
 * class that is not final) is judged by the value it holds: {@code record TypedId<T>(T value)} holding a
 * {@code String} prints and hashes by value, holding a {@code new Object()} does not. Judging such records by their
 * declared types alone would give every instance one key, so one poison event would park the whole group. What can
 * be decided from the class is decided once per class ({@link ClassValue}); only the open components are read per
 * value.
 */
final class IdentityMethods {

    /** What the class alone says; {@code open} lists the record components to read per value. */
    private record Plan(boolean identity, List<Method> open) {

        static final Plan VALUE = new Plan(false, List.of());
        static final Plan IDENTITY = new Plan(true, List.of());
    }

    private static final ClassValue<Plan> TO_STRING = new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> type) {
            return plan(type, "toString", new HashSet<>());
        }
    };

    private static final ClassValue<Plan> HASH_CODE = new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> type) {
            return plan(type, "hashCode", new HashSet<>());
        }
    };

    private IdentityMethods() {
    }

    static boolean toStringIsIdentityBased(Object value) {
        return identityBased(value, TO_STRING, 0);
    }

    static boolean hashCodeIsIdentityBased(Object value) {
        return identityBased(value, HASH_CODE, 0);
    }

    private static boolean identityBased(Object value, ClassValue<Plan> plans, int depth) {
        if (value == null) {
            return false;
        }
        Plan plan = plans.get(value.getClass());
        if (plan.identity()) {
            return true;
        }
        if (plan.open().isEmpty()) {
            return false;
        }
        if (depth > 32) {
            return true; // a chain this deep is not an identifier: keep it out of the segment hash
        }
        for (Method accessor : plan.open()) {
            if (identityBased(read(accessor, value), plans, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    private static Object read(Method accessor, Object record) {
        try {
            return accessor.invoke(record);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("Could not read record component " + accessor.getName() + " of "
                                                    + record.getClass().getName(), e);
        }
    }

    /** @param path the records being decided around this one: a component of one of their types is read per value */
    private static Plan plan(Class<?> type, String method, Set<Class<?>> path) {
        if (type.isPrimitive()) {
            return Plan.VALUE;
        }
        Class<?> declarer = declarerOf(type, method);
        if (declarer == Object.class || (declarer == Enum.class && method.equals("hashCode"))) {
            return Plan.IDENTITY;
        }
        if (!type.isRecord() || declarer != type) {
            return Plan.VALUE;
        }
        path.add(type);
        try {
            List<Method> open = new ArrayList<>();
            for (RecordComponent component : type.getRecordComponents()) {
                Class<?> declared = component.getType();
                boolean closed = declared.isPrimitive() || declared.isArray()
                        || Modifier.isFinal(declared.getModifiers());
                if (closed && !path.contains(declared)) {
                    Plan inner = plan(declared, method, path);
                    if (inner.identity()) {
                        return Plan.IDENTITY;
                    }
                    if (inner.open().isEmpty()) {
                        continue;
                    }
                }
                Method accessor = component.getAccessor();
                if (!accessor.trySetAccessible()) {
                    return Plan.IDENTITY; // a record of a closed module: judged as declared, possibly by identity
                }
                open.add(accessor);
            }
            return open.isEmpty() ? Plan.VALUE : new Plan(false, List.copyOf(open));
        } finally {
            path.remove(type);
        }
    }

    private static Class<?> declarerOf(Class<?> type, String method) {
        try {
            return type.getMethod(method).getDeclaringClass();
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("Every class has " + method + "()", e);
        }
    }
}
