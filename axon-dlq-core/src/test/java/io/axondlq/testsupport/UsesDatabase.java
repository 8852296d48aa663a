package io.axondlq.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** Selects the database {@link PerClassDatabaseExtension} creates for the annotated (concrete) test class. */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface UsesDatabase {

    TestDatabase value();

    /** H2 only: the compatibility mode of the database ({@code MODE=...}, e.g. {@code PostgreSQL}); none when empty. */
    String h2Mode() default "";
}
