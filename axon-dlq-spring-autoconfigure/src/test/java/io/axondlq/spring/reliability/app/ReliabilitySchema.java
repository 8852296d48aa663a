package io.axondlq.spring.reliability.app;

import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;

/**
 * The reliability application's own tables (PostgreSQL): the projection and its two "must never happen" tables, the
 * fault switch, the limited group's projection, and {@code letter_log}, filled by a trigger on every committed
 * insert into {@code axon_dlq_letter}, so a letter that ever existed twice for one event is visible afterwards. The
 * test process creates them (and Axon's and axon-dlq's tables) before any node starts.
 */
public final class ReliabilitySchema {

    private ReliabilitySchema() {
    }

    public static void create(DataSource dataSource) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS projection (aggregate_id VARCHAR(100) NOT NULL, seq BIGINT NOT NULL, "
                             + "ord BIGSERIAL NOT NULL, node VARCHAR(100) NOT NULL, redelivered BOOLEAN NOT NULL, "
                             + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "
                             + "PRIMARY KEY (aggregate_id, seq))");
        jdbc.execute("CREATE TABLE IF NOT EXISTS duplicate_delivery (aggregate_id VARCHAR(100) NOT NULL, "
                             + "seq BIGINT NOT NULL, node VARCHAR(100) NOT NULL, redelivered BOOLEAN NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS order_violation (aggregate_id VARCHAR(100) NOT NULL, "
                             + "seq BIGINT NOT NULL, node VARCHAR(100) NOT NULL, redelivered BOOLEAN NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS faults_fixed (fault_key VARCHAR(200) PRIMARY KEY)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS limited_projection (aggregate_id VARCHAR(100) NOT NULL, "
                             + "seq BIGINT NOT NULL, PRIMARY KEY (aggregate_id, seq))");
    }

    /** Needs the axon-dlq tables. */
    public static void createLetterLog(DataSource dataSource, String tablePrefix) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS letter_log (letter_id UUID NOT NULL, "
                             + "event_identifier VARCHAR(255) NOT NULL, processing_group VARCHAR(255) NOT NULL, "
                             + "sequence_key VARCHAR(1024) NOT NULL, "
                             + "logged_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp())");
        jdbc.execute("CREATE OR REPLACE FUNCTION reliability_log_letter() RETURNS trigger AS $$ BEGIN "
                             + "INSERT INTO letter_log (letter_id, event_identifier, processing_group, sequence_key) "
                             + "VALUES (NEW.letter_id, NEW.event_identifier, NEW.processing_group, NEW.sequence_key); "
                             + "RETURN NEW; END $$ LANGUAGE plpgsql");
        jdbc.execute("DROP TRIGGER IF EXISTS reliability_letter_log ON " + tablePrefix + "letter");
        jdbc.execute("CREATE TRIGGER reliability_letter_log AFTER INSERT ON " + tablePrefix + "letter "
                             + "FOR EACH ROW EXECUTE FUNCTION reliability_log_letter()");
    }
}
