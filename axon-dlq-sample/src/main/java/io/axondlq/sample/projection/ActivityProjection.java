package io.axondlq.sample.projection;

import io.axondlq.sample.account.AccountEvent;
import io.axondlq.sample.faults.FaultPhase;
import io.axondlq.sample.faults.FaultSwitch;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.axonframework.eventhandling.Timestamp;
import org.axonframework.messaging.annotation.MessageIdentifier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.time.Instant;

/**
 * Processing group {@value #GROUP}: one row per event, an account statement. Independent of
 * {@link BalanceProjection}: a fault in one group leaves the other untouched.
 */
@Component
@ProcessingGroup(ActivityProjection.GROUP)
public class ActivityProjection {

    public static final String GROUP = "account-activity";

    private final JdbcTemplate jdbc;
    private final FaultSwitch faults;

    public ActivityProjection(JdbcTemplate jdbc, FaultSwitch faults) {
        this.jdbc = jdbc;
        this.faults = faults;
    }

    @EventHandler
    void on(AccountEvent event, @SequenceNumber long sequence, @MessageIdentifier String eventId,
            @Timestamp Instant timestamp) {
        faults.check(GROUP, event, FaultPhase.BEFORE_WRITE);
        Integer known = jdbc.queryForObject("SELECT COUNT(*) FROM account_activity WHERE event_id = ?",
                                            Integer.class, eventId);
        if (known != null && known > 0) {
            return;
        }
        jdbc.update("INSERT INTO account_activity (event_id, account_id, sequence_number, event_type, amount, "
                            + "occurred_at) VALUES (?, ?, ?, ?, ?, ?)",
                    eventId, event.accountId(), sequence, event.getClass().getSimpleName(), event.balanceChange(),
                    java.sql.Timestamp.from(timestamp));
        faults.check(GROUP, event, FaultPhase.AFTER_WRITE);
    }
}
