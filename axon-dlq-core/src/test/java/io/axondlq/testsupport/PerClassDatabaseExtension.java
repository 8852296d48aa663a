package io.axondlq.testsupport;

import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Gives each test class its own fresh database, created when the first instance of the class is post-processed
 * and closed (pool shut down, database dropped) when the class finishes. Works with the default per-method
 * lifecycle, so abstract contract tests need no {@code @TestInstance(PER_CLASS)}.
 * <p>
 * The database kind comes from {@link UsesDatabase} on the test class (or a superclass), otherwise from
 * {@link DatabaseTestBase#database()}. Fields annotated {@link TestDataSource}, including inherited ones, are
 * injected.
 */
public class PerClassDatabaseExtension implements TestInstancePostProcessor {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PerClassDatabaseExtension.class);

    @Override
    public void postProcessTestInstance(Object testInstance, ExtensionContext context) throws Exception {
        Class<?> testClass = testInstance.getClass();
        TestDatabase kind = resolveKind(testInstance);
        UsesDatabase uses = testClass.getAnnotation(UsesDatabase.class);
        String h2Mode = uses == null ? "" : uses.h2Mode();
        ExtensionContext classContext = classContext(context, testClass);
        FreshDatabase db = classContext.getStore(NAMESPACE)
                .getOrComputeIfAbsent(testClass, c -> new ClosableDatabase(TestDatabases.fresh(kind, h2Mode)),
                                      ClosableDatabase.class)
                .database();
        inject(testInstance, db);
    }

    /** The database of the test class currently running in {@code context}, if one was created. */
    public static Optional<FreshDatabase> currentDatabase(ExtensionContext context) {
        return context.getTestClass().map(c -> classContext(context, c).getStore(NAMESPACE)
                        .get(c, ClosableDatabase.class))
                .map(ClosableDatabase::database);
    }

    private static TestDatabase resolveKind(Object testInstance) {
        UsesDatabase annotation = testInstance.getClass().getAnnotation(UsesDatabase.class);
        if (annotation != null) {
            return annotation.value();
        }
        if (testInstance instanceof DatabaseTestBase base) {
            TestDatabase kind = base.database();
            if (kind != null) {
                return kind;
            }
        }
        throw new ExtensionConfigurationException(
                testInstance.getClass().getName() + " must be annotated with @UsesDatabase "
                        + "or override DatabaseTestBase.database()");
    }

    /** Store scoped to the class, so the resource closes when the class completes (not per method). */
    private static ExtensionContext classContext(ExtensionContext context, Class<?> testClass) {
        ExtensionContext current = context;
        while (current != null) {
            if (current.getTestMethod().isEmpty() && current.getTestClass().orElse(null) == testClass) {
                return current;
            }
            current = current.getParent().orElse(null);
        }
        return context;
    }

    private static void inject(Object testInstance, FreshDatabase db) throws IllegalAccessException {
        for (Class<?> c = testInstance.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (!field.isAnnotationPresent(TestDataSource.class)) {
                    continue;
                }
                if (Modifier.isStatic(field.getModifiers()) || Modifier.isFinal(field.getModifiers())) {
                    throw new ExtensionConfigurationException(
                            "@TestDataSource field must be non-static and non-final: " + field);
                }
                Object value = valueFor(field.getType(), db);
                if (value == null) {
                    throw new ExtensionConfigurationException(
                            "Unsupported @TestDataSource field type " + field.getType().getName() + ": " + field);
                }
                field.setAccessible(true);
                field.set(testInstance, value);
            }
        }
    }

    private static Object valueFor(Class<?> type, FreshDatabase db) {
        if (type == CountingDataSource.class) {
            return new CountingDataSource(db.dataSource());
        }
        if (type == TestDatabase.class) {
            return db.kind();
        }
        if (type == FreshDatabase.class) {
            return db;
        }
        if (type.isInstance(db.dataSource()) && DataSource.class.isAssignableFrom(type)) {
            return db.dataSource();
        }
        return null;
    }

    private record ClosableDatabase(FreshDatabase database) implements ExtensionContext.Store.CloseableResource {

        @Override
        public void close() {
            database.close();
        }
    }
}
