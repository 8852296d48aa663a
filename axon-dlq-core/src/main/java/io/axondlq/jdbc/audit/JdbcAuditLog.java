package io.axondlq.jdbc.audit;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.core.store.CursorCodec;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredText;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link AuditLog} in the {@code <prefix>audit} table, its SQL in {@link AuditStatements}. Entries join the caller's
 * transaction (Spring-managed, on the same {@link DataSource}) when there is one, so they commit or roll back with the
 * change they record; without one each entry commits on its own.
 * <p>
 * An entry's {@code occurredAt} is the database's time ({@link DatabaseClock}), as is every time compared across nodes
 * (leases, due times): the log is read in that order, and an entry stamped by a node whose clock is behind would sort
 * before entries a reader has already passed. Paging is still no gap-free tail under concurrent writes: see
 * {@link AuditLog#list(AuditFilter, int, String)}.
 */
public class JdbcAuditLog implements AuditLog {

    private static final int MAX_DETAIL = 1023;
    private static final int MAX_TARGET = 1024;
    /** Kind letter of the log's cursors (same wire format as before the one codec: {@code A|seconds|nanos|id}). */
    private static final char CURSOR = 'A';

    private final NamedParameterJdbcTemplate jdbc;
    private final AuditStatements sql;
    private final Clock clock;

    /** Entries stamped with the database's clock: the form for applications. */
    public JdbcAuditLog(DataSource dataSource, String tablePrefix) {
        this(dataSource, tablePrefix, SqlDialect.detect(Objects.requireNonNull(dataSource, "dataSource")), null);
    }

    /**
     * Entries stamped with {@code clock}: for tests that need entries at known times. Not for applications: nodes
     * whose clocks differ would write entries out of the order they are read in; use
     * {@link #JdbcAuditLog(DataSource, String)}.
     */
    public JdbcAuditLog(DataSource dataSource, String tablePrefix, Clock clock) {
        this(dataSource, tablePrefix, SqlDialect.detect(Objects.requireNonNull(dataSource, "dataSource")),
             Objects.requireNonNull(clock, "clock"));
    }

    private JdbcAuditLog(DataSource dataSource, String tablePrefix, SqlDialect dialect, Clock clock) {
        this.jdbc = new NamedParameterJdbcTemplate(dataSource);
        this.sql = AuditStatements.of(dialect, tablePrefix);
        this.clock = clock == null ? new DatabaseClock(dataSource, dialect) : clock;
    }

    @Override
    public AuditEntry record(String actor, String action, String processingGroup, String target, String parameters,
                             String outcome, String detail) {
        AuditEntry entry = new AuditEntry(UUID.randomUUID(), clock.instant().truncatedTo(ChronoUnit.MICROS),
                                          actor == null ? "anonymous" : actor, action, processingGroup,
                                          StoredText.text(target, MAX_TARGET), parameters, outcome,
                                          StoredText.text(detail, MAX_DETAIL));
        jdbc.update(sql.insert(),
                    new MapSqlParameterSource("id", entry.id())
                            .addValue("at", OffsetDateTime.ofInstant(entry.occurredAt(), ZoneOffset.UTC))
                            .addValue("actor", entry.actor())
                            .addValue("action", entry.action())
                            .addValue("group", entry.processingGroup(), Types.VARCHAR)
                            .addValue("target", entry.target(), Types.VARCHAR)
                            .addValue("parameters", entry.parameters(), Types.VARCHAR)
                            .addValue("outcome", entry.outcome())
                            .addValue("detail", entry.detail(), Types.VARCHAR));
        return entry;
    }

    @Override
    public boolean complete(UUID entryId, String outcome, String detail) {
        return jdbc.update(sql.complete(), new MapSqlParameterSource("id", entryId)
                .addValue("outcome", outcome)
                .addValue("detail", StoredText.text(detail, MAX_DETAIL), Types.VARCHAR)) > 0;
    }

    @Override
    public Page<AuditEntry> list(AuditFilter filter, int limit, String cursor) {
        Objects.requireNonNull(filter, "filter");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        MapSqlParameterSource params = new MapSqlParameterSource("limit", Page.rowsToRead(limit))
                .addValue("actor", filter.actor())
                .addValue("action", filter.action())
                .addValue("group", filter.processingGroup());
        if (filter.from() != null) {
            params.addValue("from", OffsetDateTime.ofInstant(filter.from(), ZoneOffset.UTC));
        }
        if (filter.to() != null) {
            params.addValue("to", OffsetDateTime.ofInstant(filter.to(), ZoneOffset.UTC));
        }
        boolean afterCursor = cursor != null;
        if (cursor != null) {
            String[] parts = CursorCodec.decode(cursor, CURSOR, 3);
            params.addValue("after_at", OffsetDateTime.ofInstant(CursorCodec.instant(parts[0], parts[1], cursor),
                                                                 ZoneOffset.UTC))
                  .addValue("after_id", CursorCodec.uuid(parts[2], cursor));
        }
        List<AuditEntry> rows = jdbc.query(
                sql.page(filter, afterCursor), params,
                (rs, i) -> new AuditEntry(rs.getObject("audit_id", UUID.class),
                                          rs.getObject("occurred_at", OffsetDateTime.class).toInstant(),
                                          rs.getString("actor"), rs.getString("action"),
                                          rs.getString("processing_group"), rs.getString("target"),
                                          rs.getString("parameters"), rs.getString("outcome"),
                                          rs.getString("detail")));
        return Page.of(rows, limit, last -> CursorCodec.encode(CURSOR, last.occurredAt().getEpochSecond(),
                                                               last.occurredAt().getNano(), last.id()));
    }
}
