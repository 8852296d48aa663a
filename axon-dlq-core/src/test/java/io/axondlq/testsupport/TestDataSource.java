package io.axondlq.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an instance field that {@link PerClassDatabaseExtension} fills in. Supported field types:
 * {@link javax.sql.DataSource} (the per-class pool), {@link TestDatabase}, {@link FreshDatabase}, and
 * {@link CountingDataSource} (a new counter per test instance, wrapping the per-class pool).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface TestDataSource {
}
