package io.axondlq.sample.projection;

import io.axondlq.sample.account.AccountEvent;
import io.axondlq.sample.account.AccountOpened;
import io.axondlq.sample.account.MoneyDeposited;
import io.axondlq.sample.account.MoneyWithdrawn;
import io.axondlq.sample.faults.FaultPhase;
import io.axondlq.sample.faults.FaultSwitch;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.axonframework.eventhandling.Timestamp;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.time.Instant;
import java.util.List;

/**
 * Processing group {@value #GROUP}: one row per account with its balance, written with {@link JdbcTemplate} in the
 * processor's transaction.
 * <p>
 * The projection is strict about order: it applies an account's event number n only on top of event n-1 and fails
 * otherwise. Events it has already applied (a redelivery after a crash) are ignored. So a balance is right exactly
 * when every event of the account took effect once and in order, which is what axon-dlq promises for a parked
 * account.
 */
@Component
@ProcessingGroup(BalanceProjection.GROUP)
public class BalanceProjection {

    public static final String GROUP = "account-balances";

    private final JdbcTemplate jdbc;
    private final FaultSwitch faults;

    public BalanceProjection(JdbcTemplate jdbc, FaultSwitch faults) {
        this.jdbc = jdbc;
        this.faults = faults;
    }

    @EventHandler
    void on(AccountOpened event, @SequenceNumber long sequence, @Timestamp Instant timestamp) {
        faults.check(GROUP, event, FaultPhase.BEFORE_WRITE);
        Long last = lastSequence(event.accountId());
        if (last != null) {
            if (last >= sequence) {
                return;
            }
            throw new IllegalStateException("Account [" + event.accountId() + "] opened twice");
        }
        jdbc.update("INSERT INTO account_balance (account_id, owner, balance, last_sequence, updated_at) "
                            + "VALUES (?, ?, 0, ?, ?)",
                    event.accountId(), event.owner(), sequence, java.sql.Timestamp.from(timestamp));
        faults.check(GROUP, event, FaultPhase.AFTER_WRITE);
    }

    @EventHandler
    void on(MoneyDeposited event, @SequenceNumber long sequence, @Timestamp Instant timestamp) {
        applyChange(event, sequence, timestamp);
    }

    @EventHandler
    void on(MoneyWithdrawn event, @SequenceNumber long sequence, @Timestamp Instant timestamp) {
        applyChange(event, sequence, timestamp);
    }

    private void applyChange(AccountEvent event, long sequence, Instant timestamp) {
        faults.check(GROUP, event, FaultPhase.BEFORE_WRITE);
        int updated = jdbc.update("UPDATE account_balance SET balance = balance + ?, last_sequence = ?, updated_at = ? "
                                          + "WHERE account_id = ? AND last_sequence = ?",
                                  event.balanceChange(), sequence, java.sql.Timestamp.from(timestamp),
                                  event.accountId(), sequence - 1);
        if (updated == 0) {
            Long last = lastSequence(event.accountId());
            if (last != null && last >= sequence) {
                return;
            }
            throw new IllegalStateException("Out of order: account [" + event.accountId() + "] is at event " + last
                                                    + ", cannot apply event " + sequence);
        }
        faults.check(GROUP, event, FaultPhase.AFTER_WRITE);
    }

    private Long lastSequence(String accountId) {
        List<Long> rows = jdbc.queryForList("SELECT last_sequence FROM account_balance WHERE account_id = ?",
                                            Long.class, accountId);
        return rows.isEmpty() ? null : rows.get(0);
    }
}
