package io.axondlq.spring.web;

import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** {@link AxonDeadLetterProcessorApplicationTest} with the application on embedded PostgreSQL. */
class PostgresAxonDeadLetterProcessorApplicationTest extends AxonDeadLetterProcessorApplicationTest {

    /** Created before the application starts; dropped with the embedded server at the end of the JVM. */
    private static final FreshDatabase DB = TestDatabases.fresh(TestDatabase.POSTGRES);

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        // The test application's own tables in PostgreSQL's dialect, as in PostgresDashboardBrowserTest.
        JdbcTemplate jdbc = new JdbcTemplate(DB.dataSource());
        jdbc.execute("CREATE TABLE IF NOT EXISTS ledger_entry (entry_id BIGSERIAL PRIMARY KEY, "
                             + "account_id VARCHAR(255) NOT NULL, amount BIGINT NOT NULL, note VARCHAR(255))");
        jdbc.execute("CREATE TABLE IF NOT EXISTS TokenEntry (processorName VARCHAR(255) NOT NULL, "
                             + "segment INTEGER NOT NULL, token BYTEA NULL, tokenType VARCHAR(255) NULL, "
                             + "timestamp VARCHAR(255) NULL, owner VARCHAR(255) NULL, "
                             + "PRIMARY KEY (processorName, segment))");
        registry.add("spring.datasource.url", DB::jdbcUrl);
        registry.add("spring.datasource.username", () -> DB.dataSource().getUsername());
        registry.add("spring.datasource.password", () -> DB.dataSource().getPassword());
        registry.add("spring.sql.init.mode", () -> "never");
        registry.add("axon.dlq.jdbc.initialize-schema", () -> "always");
    }
}
