package io.axondlq.jdbc.jobs;

import io.axondlq.jdbc.SqlDialect;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The database's clock, one query per reading (joining the caller's transaction when there is one). The jobs' due
 * times are written by one node and compared by another: a retry job's cooldown, the idempotency window of its key,
 * the automatic-retry schedule. Read from the database, as the leases are, they hold however the nodes' own clocks
 * differ. Background work reads it, a few times per poll, and the audit log once per entry; never the event
 * processors.
 */
public final class DatabaseClock extends Clock {

    private final JdbcTemplate jdbc;
    private final String query;
    private final ZoneId zone;

    /** The dialect is read from the database's metadata. */
    public DatabaseClock(DataSource dataSource) {
        this(dataSource, SqlDialect.detect(Objects.requireNonNull(dataSource, "dataSource")));
    }

    public DatabaseClock(DataSource dataSource, SqlDialect dialect) {
        this(new JdbcTemplate(Objects.requireNonNull(dataSource, "dataSource")),
             LeaseStatements.currentTime(Objects.requireNonNull(dialect, "dialect")), ZoneOffset.UTC);
    }

    private DatabaseClock(JdbcTemplate jdbc, String query, ZoneId zone) {
        this.jdbc = jdbc;
        this.query = query;
        this.zone = zone;
    }

    @Override
    public Instant instant() {
        OffsetDateTime now = jdbc.queryForObject(query, OffsetDateTime.class);
        if (now == null) {
            throw new IllegalStateException("The database returned no current time for [" + query + "]");
        }
        return now.toInstant();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return zone.equals(this.zone) ? this : new DatabaseClock(jdbc, query, zone);
    }

    @Override
    public String toString() {
        return "DatabaseClock[" + query + "]";
    }
}
