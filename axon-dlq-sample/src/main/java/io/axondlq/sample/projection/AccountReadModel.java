package io.axondlq.sample.projection;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Reads both projections for the HTTP API. */
@Component
public class AccountReadModel {

    private final JdbcTemplate jdbc;

    public AccountReadModel(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** A row of {@code account_balance}; {@code lastSequence} is the number of the last event applied. */
    public record Balance(String accountId, String owner, long balance, long lastSequence, Instant updatedAt) {
    }

    /** A row of {@code account_activity}. */
    public record Activity(String eventId, long sequenceNumber, String eventType, long amount, Instant occurredAt) {
    }

    public List<Balance> balances(int limit) {
        return jdbc.query("SELECT account_id, owner, balance, last_sequence, updated_at FROM account_balance "
                                  + "ORDER BY account_id FETCH FIRST " + limit + " ROWS ONLY",
                          (rs, i) -> new Balance(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                                                 rs.getTimestamp(5).toInstant()));
    }

    public Optional<Balance> balance(String accountId) {
        return jdbc.query("SELECT account_id, owner, balance, last_sequence, updated_at FROM account_balance "
                                  + "WHERE account_id = ?",
                          (rs, i) -> new Balance(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4),
                                                 rs.getTimestamp(5).toInstant()),
                          accountId).stream().findFirst();
    }

    public List<Activity> activity(String accountId) {
        return jdbc.query("SELECT event_id, sequence_number, event_type, amount, occurred_at FROM account_activity "
                                  + "WHERE account_id = ? ORDER BY sequence_number",
                          (rs, i) -> new Activity(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getLong(4),
                                                  rs.getTimestamp(5).toInstant()),
                          accountId);
    }
}
