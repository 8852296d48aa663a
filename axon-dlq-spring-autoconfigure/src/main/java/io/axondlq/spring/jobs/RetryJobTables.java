package io.axondlq.spring.jobs;

import org.springframework.jdbc.core.RowMapper;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Names, columns and row mapping of the retry-job tables ({@code <prefix>retry_job},
 * {@code <prefix>retry_job_sequence}), shared by {@link JdbcRetryJobs} and {@link RetryJobRunner}.
 */
final class RetryJobTables {

    /** Same rule as the store's prefix: it reaches SQL as text, so it must be a plain identifier. */
    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,40}");

    static final String PENDING = "PENDING";
    static final String CLAIMED = "CLAIMED";

    static final String JOB_COLUMNS = "job_id, processing_group, request, state, stop_requested, total, succeeded, "
            + "failed, skipped, created_at, updated_at, created_by, owner, failure";

    final String job;
    final String sequence;
    /** The store's tables, read by the database-side snapshot. */
    final String storeSequence;
    final String storeLetter;

    RetryJobTables(String tablePrefix) {
        if (tablePrefix == null || !PREFIX.matcher(tablePrefix).matches()) {
            throw new IllegalArgumentException("Table prefix must match " + PREFIX + ", was [" + tablePrefix + "]");
        }
        this.job = tablePrefix + "retry_job";
        this.sequence = tablePrefix + "retry_job_sequence";
        this.storeSequence = tablePrefix + "sequence";
        this.storeLetter = tablePrefix + "letter";
    }

    /** A job row without its per-sequence outcomes. */
    RowMapper<RetryJob> jobMapper() {
        return (rs, i) -> job(rs, List.of());
    }

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

    static final RowMapper<RetryJob.SequenceOutcome> OUTCOME_MAPPER = (rs, i) -> new RetryJob.SequenceOutcome(
            rs.getString("sequence_key"), rs.getString("outcome"), rs.getInt("redelivered"), rs.getLong("remaining"),
            rs.getString("detail"), instant(rs, "finished_at"));

    /** Database timestamps keep microseconds (PostgreSQL); so do ours, so that cursors and comparisons are exact. */
    static Instant now(Clock clock) {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    static OffsetDateTime time(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime value = rs.getObject(column, OffsetDateTime.class);
        return value == null ? null : value.toInstant();
    }

    static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
