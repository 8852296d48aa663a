package io.axondlq.spring.web;

import io.axondlq.spring.web.testapp.PostgresTestApplication;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link PayloadNumbersExportTest} with the application on embedded PostgreSQL. */
class PostgresPayloadNumbersExportTest extends PayloadNumbersExportTest {

    /** Created before the application starts; dropped with the embedded server at the end of the JVM. */
    private static final FreshDatabase DB = TestDatabases.fresh(TestDatabase.POSTGRES);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        PostgresTestApplication.use(DB, registry);
    }
}
