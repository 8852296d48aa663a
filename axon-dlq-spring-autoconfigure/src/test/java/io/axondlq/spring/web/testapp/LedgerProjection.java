package io.axondlq.spring.web.testapp;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Processing group {@value #GROUP}, run by the pooled processor {@value #PROCESSOR} (a different name on purpose).
 * Writes a ledger row, then fails for poisoned accounts.
 */
@ProcessingGroup(LedgerProjection.GROUP)
public class LedgerProjection {

    public static final String GROUP = "ledger";
    public static final String PROCESSOR = "ledger-processor";

    private final JdbcTemplate jdbc;
    private final Poison poison;

    public LedgerProjection(JdbcTemplate jdbc, Poison poison) {
        this.jdbc = jdbc;
        this.poison = poison;
    }

    @EventHandler
    public void on(AccountCredited event) {
        jdbc.update("INSERT INTO ledger_entry (account_id, amount, note) VALUES (?, ?, ?)",
                    event.accountId(), event.amount(), event.note());
        poison.check(event.accountId());
        poison.afterCommit(event.accountId());
    }
}
