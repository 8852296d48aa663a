package io.axondlq.spring.reliability.app;

import org.springframework.jdbc.core.JdbcTemplate;

import javax.sql.DataSource;

/**
 * The reliability application's own tables (PostgreSQL): the projection and its two "must never happen" tables, the
 * fault switch, the limited group's projection; {@code letter_log}, filled by a trigger on every committed insert into
 * {@code axon_dlq_letter}, so a letter that ever existed twice for one event is visible afterwards; and
 * {@code segment_log}, the history of the processor's segments. The test process creates them (and Axon's and
 * axon-dlq's tables) before any node starts.
 */
public final class ReliabilitySchema {

    /** How a letter stored during a merge's catch-up names its token type. */
    public static final String MERGED_TOKEN = "org.axonframework.eventhandling.MergedTrackingToken";

    private ReliabilitySchema() {
    }

    public static void create(DataSource dataSource) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS projection (aggregate_id VARCHAR(100) NOT NULL, seq BIGINT NOT NULL, "
                             + "ord BIGSERIAL NOT NULL, node VARCHAR(100) NOT NULL, redelivered BOOLEAN NOT NULL, "
                             + "applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "
                             + "PRIMARY KEY (aggregate_id, seq))");
        jdbc.execute("CREATE TABLE IF NOT EXISTS duplicate_delivery (aggregate_id VARCHAR(100) NOT NULL, "
                             + "seq BIGINT NOT NULL, node VARCHAR(100) NOT NULL, redelivered BOOLEAN NOT NULL, "
                             + "during_merge BOOLEAN NOT NULL DEFAULT FALSE)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS order_violation (aggregate_id VARCHAR(100) NOT NULL, "
                             + "seq BIGINT NOT NULL, node VARCHAR(100) NOT NULL, redelivered BOOLEAN NOT NULL)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS faults_fixed (fault_key VARCHAR(200) PRIMARY KEY)");
        jdbc.execute("CREATE TABLE IF NOT EXISTS limited_projection (aggregate_id VARCHAR(100) NOT NULL, "
                             + "seq BIGINT NOT NULL, PRIMARY KEY (aggregate_id, seq))");
    }

    /**
     * Needs the axon-dlq tables. A row per letter ever inserted, with the token type it was stored with (a merge
     * still catching up shows as {@value #MERGED_TOKEN}) and the time it was deleted (redelivered, evicted), so that
     * two letters of one event alive at once are visible afterwards.
     */
    public static void createLetterLog(DataSource dataSource, String tablePrefix) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS letter_log (letter_id UUID NOT NULL, "
                             + "event_identifier VARCHAR(255) NOT NULL, processing_group VARCHAR(255) NOT NULL, "
                             + "sequence_key VARCHAR(1024) NOT NULL, token_type VARCHAR(255), "
                             + "logged_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp(), "
                             + "deleted_at TIMESTAMP WITH TIME ZONE)");
        jdbc.execute("CREATE OR REPLACE FUNCTION reliability_log_letter() RETURNS trigger AS $$ BEGIN "
                             + "IF TG_OP = 'DELETE' THEN "
                             + "UPDATE letter_log SET deleted_at = clock_timestamp() WHERE letter_id = OLD.letter_id; "
                             + "ELSE "
                             + "INSERT INTO letter_log (letter_id, event_identifier, processing_group, sequence_key, "
                             + "token_type) VALUES (NEW.letter_id, NEW.event_identifier, NEW.processing_group, "
                             + "NEW.sequence_key, NEW.token_type); "
                             + "END IF; RETURN NULL; END $$ LANGUAGE plpgsql");
        jdbc.execute("DROP TRIGGER IF EXISTS reliability_letter_log ON " + tablePrefix + "letter");
        jdbc.execute("CREATE TRIGGER reliability_letter_log AFTER INSERT OR DELETE ON " + tablePrefix + "letter "
                             + "FOR EACH ROW EXECUTE FUNCTION reliability_log_letter()");
    }

    /**
     * Needs Axon's token table: {@code segment_log} gets a row for every segment created (split) or deleted (merge)
     * and every committed change of a segment's owner (claim, release, takeover), in the order the row lock gave them.
     */
    public static void createSegmentLog(DataSource dataSource) {
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        jdbc.execute("CREATE TABLE IF NOT EXISTS segment_log (id BIGSERIAL PRIMARY KEY, op VARCHAR(10) NOT NULL, "
                             + "processor_name VARCHAR(255) NOT NULL, segment INTEGER NOT NULL, "
                             + "old_owner VARCHAR(255), new_owner VARCHAR(255), "
                             + "logged_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT clock_timestamp())");
        jdbc.execute("CREATE OR REPLACE FUNCTION reliability_log_segment() RETURNS trigger AS $$ BEGIN "
                             + "IF TG_OP = 'INSERT' THEN "
                             + "INSERT INTO segment_log (op, processor_name, segment, new_owner) "
                             + "VALUES ('INSERT', NEW.processorname, NEW.segment, NEW.owner); "
                             + "ELSIF TG_OP = 'DELETE' THEN "
                             + "INSERT INTO segment_log (op, processor_name, segment, old_owner) "
                             + "VALUES ('DELETE', OLD.processorname, OLD.segment, OLD.owner); "
                             + "ELSIF NEW.owner IS DISTINCT FROM OLD.owner THEN "
                             + "INSERT INTO segment_log (op, processor_name, segment, old_owner, new_owner) "
                             + "VALUES ('OWNER', NEW.processorname, NEW.segment, OLD.owner, NEW.owner); "
                             + "END IF; RETURN NULL; END $$ LANGUAGE plpgsql");
        jdbc.execute("DROP TRIGGER IF EXISTS reliability_segment_log ON tokenentry");
        jdbc.execute("CREATE TRIGGER reliability_segment_log AFTER INSERT OR UPDATE OR DELETE ON tokenentry "
                             + "FOR EACH ROW EXECUTE FUNCTION reliability_log_segment()");
    }
}
