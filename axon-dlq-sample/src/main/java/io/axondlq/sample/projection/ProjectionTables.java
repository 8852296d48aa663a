package io.axondlq.sample.projection;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Creates the projection tables at start-up, before Axon starts its processors (processors start with the
 * application context's lifecycle, after every singleton is built). Idempotent: H2 and PostgreSQL both understand
 * {@code IF NOT EXISTS}.
 */
@Component
public class ProjectionTables implements InitializingBean {

    private final JdbcTemplate jdbc;

    public ProjectionTables(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void afterPropertiesSet() {
        jdbc.execute("CREATE TABLE IF NOT EXISTS account_balance ("
                             + "account_id VARCHAR(100) NOT NULL PRIMARY KEY, "
                             + "owner VARCHAR(255) NOT NULL, "
                             + "balance BIGINT NOT NULL, "
                             + "last_sequence BIGINT NOT NULL, "
                             + "updated_at TIMESTAMP NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS account_activity ("
                             + "event_id VARCHAR(100) NOT NULL PRIMARY KEY, "
                             + "account_id VARCHAR(100) NOT NULL, "
                             + "sequence_number BIGINT NOT NULL, "
                             + "event_type VARCHAR(100) NOT NULL, "
                             + "amount BIGINT NOT NULL, "
                             + "occurred_at TIMESTAMP NOT NULL)");
        jdbc.execute("CREATE INDEX IF NOT EXISTS account_activity_account "
                             + "ON account_activity (account_id, sequence_number)");
    }
}
