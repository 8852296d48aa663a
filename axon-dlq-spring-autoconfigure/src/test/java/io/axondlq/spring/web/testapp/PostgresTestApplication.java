package io.axondlq.spring.web.testapp;

import io.axondlq.testsupport.FreshDatabase;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;

/** The test application on an embedded PostgreSQL database instead of its H2 default. */
public final class PostgresTestApplication {

    private PostgresTestApplication() {
    }

    /**
     * Creates the application's own tables in PostgreSQL's dialect (its schema.sql and Axon's generic token table are
     * H2's) before it starts, whose CREATE ... IF NOT EXISTS then find them, and points the application at {@code db}.
     */
    public static void use(FreshDatabase db, DynamicPropertyRegistry registry) {
        JdbcTemplate jdbc = new JdbcTemplate(db.dataSource());
        jdbc.execute("CREATE TABLE IF NOT EXISTS ledger_entry (entry_id BIGSERIAL PRIMARY KEY, "
                             + "account_id VARCHAR(255) NOT NULL, amount BIGINT NOT NULL, note VARCHAR(255))");
        // Axon's default token schema (unquoted, so PostgreSQL folds the names to lower case) with BYTEA for BLOB
        jdbc.execute("CREATE TABLE IF NOT EXISTS TokenEntry (processorName VARCHAR(255) NOT NULL, "
                             + "segment INTEGER NOT NULL, token BYTEA NULL, tokenType VARCHAR(255) NULL, "
                             + "timestamp VARCHAR(255) NULL, owner VARCHAR(255) NULL, "
                             + "PRIMARY KEY (processorName, segment))");
        registry.add("spring.datasource.url", db::jdbcUrl);
        registry.add("spring.datasource.username", () -> db.dataSource().getUsername());
        registry.add("spring.datasource.password", () -> db.dataSource().getPassword());
        registry.add("spring.sql.init.mode", () -> "never");
        registry.add("axon.dlq.jdbc.initialize-schema", () -> "always");
    }
}
