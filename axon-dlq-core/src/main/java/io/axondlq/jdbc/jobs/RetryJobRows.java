package io.axondlq.jdbc.jobs;

import io.axondlq.core.jobs.RetryJob;
import org.springframework.jdbc.core.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/** Row mapping and value conversion of the retry-job tables, shared by the JDBC job classes. */
final class RetryJobRows {

    /** Same rule as the store's prefix: it reaches SQL as text, so it must be a plain identifier. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,40}");

    private RetryJobRows() {
    }

    static String validPrefix(String tablePrefix) {
        if (tablePrefix == null || !PREFIX.matcher(tablePrefix).matches()) {
            throw new IllegalArgumentException("Table prefix must match " + PREFIX + ", was [" + tablePrefix + "]");
        }
        return tablePrefix;
    }

    /** A job row without its per-sequence outcomes. */
    static final RowMapper<RetryJob> JOB = (rs, i) -> job(rs, List.of());

    static RetryJob job(ResultSet rs, List<RetryJob.SequenceOutcome> sequences) throws SQLException {
        return new RetryJob(rs.getObject("job_id", UUID.class),
                            rs.getString("processing_group"),
                            RetryJobRequests.fromJson(rs.getString("request")),
                            RetryJob.State.valueOf(rs.getString("state")),
                            rs.getBoolean("stop_requested"),
                            rs.getInt("total"),
                            rs.getInt("succeeded"),
                            rs.getInt("failed"),
                            rs.getInt("skipped"),
                            instant(rs, "created_at"),
                            instant(rs, "updated_at"),
                            rs.getString("created_by"),
                            rs.getString("owner"),
                            rs.getString("failure"),
                            sequences);
    }

    static final RowMapper<RetryJob.SequenceOutcome> OUTCOME = (rs, i) -> new RetryJob.SequenceOutcome(
            rs.getString("sequence_key"), rs.getString("outcome"), rs.getInt("redelivered"), rs.getLong("remaining"),
            rs.getString("detail"), instant(rs, "finished_at"));

    static OffsetDateTime time(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }
}
