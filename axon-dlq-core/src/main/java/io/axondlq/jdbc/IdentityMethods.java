package io.axondlq.jdbc;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Tells whether {@code toString()} or {@code hashCode()} of a value depends on object identity and so differs from
 * one JVM to the next: its class inherits {@link Object}'s method (Axon's {@code SequentialPolicy} returns a plain
 * {@code new Object()}), an enum's {@code hashCode()} ({@link Enum} keeps Object's), or it is a record whose
 * generated method folds in such a component (an array, an enum for {@code hashCode()}, a class that inherits
 * Object's method), or a {@link Map} or {@link Collection} holding such an element (its methods fold in its
 * elements'). Every other class that declares its own method is trusted to compute it from its value.
 * <p>
 * It also tells whether {@code toString()} follows the iteration order of a {@link Map} or {@link Set}: the value is
 * one, or a record or collection holding one. That order is not a property of the value: {@code Map.of} and
 * {@code Set.of} randomize it per JVM, a {@code HashMap}'s depends on its capacity and insertion history. Such values
 * are encoded from their parts ({@link SequenceKeys}).
 * <p>
 * A record component whose declared type leaves the class open ({@code Object}, a type variable, an interface, a
 * class that is not final) is judged by the value it holds: {@code record TypedId<T>(T value)} holding a
 * {@code String} prints and hashes by value, holding a {@code new Object()} does not. Judging such records by their
 * declared types alone would give every instance one key, so one poison event would park the whole group. What can
 * be decided from the class is decided once per class ({@link ClassValue}); only the open components and the
 * elements of collections are read per value.
 */
final class IdentityMethods {

    /**
     * Deepest nesting (of record components and collection elements) read. A deeper value is not an identifier: it is
     * judged identity-based, which keeps it out of the segment hash; {@link SequenceKeys} stops at the same depth.
     */
    static final int MAX_DEPTH = 32;

    /**
     * What the class alone says: {@code yes} decides; otherwise {@code open} lists the record components to read per
     * value, and {@code elements} says the value is a map or collection whose elements are to be read.
     */
    private record Plan(boolean yes, List<Method> open, boolean elements) {

        static final Plan NO = new Plan(false, List.of(), false);
        static final Plan YES = new Plan(true, List.of(), false);
        static final Plan ELEMENTS = new Plan(false, List.of(), true);

        boolean perValue() {
            return elements || !open.isEmpty();
        }
    }

    private enum Question { TO_STRING, HASH_CODE, ITERATION_ORDER }

    private static final ClassValue<Plan> TO_STRING = plans(Question.TO_STRING);
    private static final ClassValue<Plan> HASH_CODE = plans(Question.HASH_CODE);
    private static final ClassValue<Plan> ITERATION_ORDER = plans(Question.ITERATION_ORDER);

    private IdentityMethods() {
    }

    static boolean toStringIsIdentityBased(Object value) {
        return holds(value, TO_STRING, 0);
    }

    static boolean hashCodeIsIdentityBased(Object value) {
        return holds(value, HASH_CODE, 0);
    }

    /** Whether the value is a {@link Map} or {@link Set}, or a record or collection holding one at any depth. */
    static boolean toStringFollowsIterationOrder(Object value) {
        return holds(value, ITERATION_ORDER, 0);
    }

    private static ClassValue<Plan> plans(Question question) {
        return new ClassValue<>() {
            @Override
            protected Plan computeValue(Class<?> type) {
                return plan(type, question, new HashSet<>());
            }
        };
    }

    private static boolean holds(Object value, ClassValue<Plan> plans, int depth) {
        if (value == null) {
            return false;
        }
        Plan plan = plans.get(value.getClass());
        if (plan.yes()) {
            return true;
        }
        if (!plan.perValue()) {
            return false;
        }
        if (depth > MAX_DEPTH) {
            return true; // a chain this deep is not an identifier: keep it out of the segment hash
        }
        if (plan.elements()) {
            if (value instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    if (holds(entry.getKey(), plans, depth + 1) || holds(entry.getValue(), plans, depth + 1)) {
                        return true;
                    }
                }
            } else {
                for (Object element : (Collection<?>) value) {
                    if (holds(element, plans, depth + 1)) {
                        return true;
                    }
                }
            }
            return false;
        }
        for (Method accessor : plan.open()) {
            if (holds(read(accessor, value), plans, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    static Object read(Method accessor, Object record) {
        try {
            return accessor.invoke(record);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("Could not read record component " + accessor.getName() + " of "
                                                    + record.getClass().getName(), e);
        }
    }

    /** @param path the records being decided around this one: a component of one of their types is read per value */
    private static Plan plan(Class<?> type, Question question, Set<Class<?>> path) {
        if (type.isPrimitive()) {
            return Plan.NO;
        }
        boolean collection = Map.class.isAssignableFrom(type) || Collection.class.isAssignableFrom(type);
        if (question == Question.ITERATION_ORDER) {
            if (Map.class.isAssignableFrom(type) || Set.class.isAssignableFrom(type)) {
                return Plan.YES;
            }
            if (collection) {
                return Plan.ELEMENTS; // a list prints its elements, which may be maps
            }
            if (!type.isRecord()) {
                return Plan.NO;
            }
        } else {
            String method = question == Question.TO_STRING ? "toString" : "hashCode";
            Class<?> declarer = declarerOf(type, method);
            if (declarer == Object.class || (declarer == Enum.class && question == Question.HASH_CODE)) {
                return Plan.YES;
            }
            if (collection) {
                // AbstractMap, AbstractCollection and their kin print and hash their elements: Set.of(new Object())
                // prints an identity hash, Map.of(Region.EU, x) hashes the enum's identity.
                return Plan.ELEMENTS;
            }
            if (!type.isRecord() || declarer != type) {
                return Plan.NO;
            }
        }
        path.add(type);
        try {
            List<Method> open = new ArrayList<>();
            for (RecordComponent component : type.getRecordComponents()) {
                Class<?> declared = component.getType();
                boolean closed = declared.isPrimitive() || declared.isArray()
                        || Modifier.isFinal(declared.getModifiers());
                if (closed && !path.contains(declared)) {
                    Plan inner = plan(declared, question, path);
                    if (inner.yes()) {
                        return Plan.YES;
                    }
                    if (!inner.perValue()) {
                        continue;
                    }
                }
                Method accessor = component.getAccessor();
                if (!accessor.trySetAccessible()) {
                    return Plan.YES; // a record of a closed module: judged as declared, possibly by identity
                }
                open.add(accessor);
            }
            return open.isEmpty() ? Plan.NO : new Plan(false, List.copyOf(open), false);
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
