package io.axondlq.spring.jpa;

import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

class PostgresJpaProjectionIsolationTest extends JpaProjectionIsolationTest {

    /** Created before the application starts; dropped with the embedded server at the end of the JVM. */
    private static final FreshDatabase DB = TestDatabases.fresh(TestDatabase.POSTGRES);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        database(registry, DB);
    }
}
