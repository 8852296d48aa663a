package io.axondlq.jdbc.audit;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.Page;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.nio.charset.StandardCharsets;
import java.sql.Types;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * {@link AuditLog} in the {@code <prefix>audit} table, its SQL in {@link AuditStatements}. Entries join the caller's
 * transaction (Spring-managed, on the same {@link DataSource}) when there is one, so they commit or roll back with the
 * change they record; without one each entry commits on its own.
 */
public class JdbcAuditLog implements AuditLog {

    private static final int MAX_DETAIL = 1023;

    private final NamedParameterJdbcTemplate jdbc;
    private final AuditStatements sql;
    private final Clock clock;

    public JdbcAuditLog(DataSource dataSource, String tablePrefix, Clock clock) {
        this.jdbc = new NamedParameterJdbcTemplate(dataSource);
        this.sql = AuditStatements.of(SqlDialect.detect(dataSource), tablePrefix);
        this.clock = clock;
    }

    @Override
    public AuditEntry record(String actor, String action, String processingGroup, String target, String parameters,
                             String outcome, String detail) {
        AuditEntry entry = new AuditEntry(UUID.randomUUID(), clock.instant().truncatedTo(ChronoUnit.MICROS),
                                          actor == null ? "anonymous" : actor, action, processingGroup,
                                          truncate(target, 1024), parameters, outcome, truncate(detail, MAX_DETAIL));
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
                .addValue("detail", truncate(detail, MAX_DETAIL), Types.VARCHAR)) > 0;
    }

    @Override
    public Page<AuditEntry> list(int limit, String cursor) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, was " + limit);
        }
        MapSqlParameterSource params = new MapSqlParameterSource("limit", limit + 1);
        boolean afterCursor = cursor != null;
        if (cursor != null) {
            String[] parts = decode(cursor);
            try {
                params.addValue("after_at", OffsetDateTime.ofInstant(
                                Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1])), ZoneOffset.UTC))
                      .addValue("after_id", UUID.fromString(parts[2]));
            } catch (RuntimeException e) {
                throw new InvalidCursorException(cursor);
            }
        }
        List<AuditEntry> rows = jdbc.query(
                sql.page(afterCursor), params,
                (rs, i) -> new AuditEntry(rs.getObject("audit_id", UUID.class),
                                          rs.getObject("occurred_at", OffsetDateTime.class).toInstant(),
                                          rs.getString("actor"), rs.getString("action"),
                                          rs.getString("processing_group"), rs.getString("target"),
                                          rs.getString("parameters"), rs.getString("outcome"),
                                          rs.getString("detail")));
        if (rows.size() <= limit) {
            return new Page<>(rows, null);
        }
        AuditEntry last = rows.get(limit - 1);
        return new Page<>(rows.subList(0, limit), encode(last));
    }

    private static String encode(AuditEntry last) {
        String plain = "A|" + last.occurredAt().getEpochSecond() + "|" + last.occurredAt().getNano() + "|" + last.id();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    private static String[] decode(String cursor) {
        try {
            String plain = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            String[] parts = plain.split("\\|", 4);
            if (parts.length != 4 || !parts[0].equals("A")) {
                throw new InvalidCursorException(cursor);
            }
            return new String[]{parts[1], parts[2], parts[3]};
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException(cursor);
        }
    }

    private static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }
}
