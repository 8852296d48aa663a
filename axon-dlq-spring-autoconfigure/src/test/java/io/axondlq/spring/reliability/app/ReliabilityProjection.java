package io.axondlq.spring.reliability.app;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.MergedTrackingToken;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Processing group {@value #GROUP}: one {@code projection} row per event, keyed (aggregate_id, seq), in the processor's
 * (or the redelivery's) transaction; {@code ord} records the order rows were inserted in. Faults follow the
 * {@link FaultPlan}. The handler also records, in the same transaction, what must never happen:
 * <ul>
 * <li>{@code duplicate_delivery}: the event was already applied (it is then not applied again, so a duplicate shows up
 * here instead of as a stuck letter), and whether it came with a token of a merge still catching up
 * ({@code during_merge}): Axon 4.13's pooled processor hands such a segment every event that either half had not
 * seen yet, so the half that was ahead sees its events again, live or, when its sequence is parked by then, from a
 * letter;</li>
 * <li>{@code order_violation}: the aggregate's previous event was not applied yet (a sequence overtook itself).</li>
 * </ul>
 */
@ProcessingGroup(ReliabilityProjection.GROUP)
public class ReliabilityProjection {

    public static final String GROUP = "projection";

    private final JdbcTemplate jdbc;
    private final FaultPlan plan;
    private final String node;
    /**
     * Test-the-test switch ({@code reliability.mutation=requires-new}): when set, rows are written in a transaction of
     * their own, outside the processor's, as a careless handler would; the suite must then fail.
     */
    private final TransactionTemplate ownTransaction;
    /** Event key → attempts on this node, for the transient faults (first attempt on a node fails). */
    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();

    public ReliabilityProjection(JdbcTemplate jdbc, FaultPlan plan, String node, TransactionTemplate ownTransaction) {
        this.jdbc = jdbc;
        this.plan = plan;
        this.node = node;
        this.ownTransaction = ownTransaction;
    }

    @EventHandler
    public void on(ItemRecorded event, EventMessage<?> message, DeadLetter<EventMessage<?>> letter) {
        boolean redelivery = letter != null;
        // A letter carries the token the event had when it was dead-lettered or parked.
        boolean duringMerge = message instanceof TrackedEventMessage<?> tracked
                && MergedTrackingToken.isMergeInProgress(tracked.trackingToken());
        switch (plan.fault(event.aggregateId(), event.seq())) {
            case PERMANENT -> {
                if (!fixed(event)) {
                    throw new PermanentFaultException(event.key());
                }
            }
            case TRANSIENT -> {
                if (attempts.merge(event.key(), 1, Integer::sum) == 1) {
                    throw new TransientFaultException(event.key());
                }
            }
            case NONE -> {
                // handled below
            }
        }
        if (ownTransaction != null) {
            ownTransaction.executeWithoutResult(status -> apply(event, redelivery, duringMerge));
        } else {
            apply(event, redelivery, duringMerge);
        }
    }

    private void apply(ItemRecorded event, boolean redelivery, boolean duringMerge) {
        List<Long> seen = jdbc.queryForList("SELECT seq FROM projection WHERE aggregate_id = ? AND seq IN (?, ?)",
                                            Long.class, event.aggregateId(), event.seq(), event.seq() - 1);
        if (seen.contains(event.seq())) {
            jdbc.update("INSERT INTO duplicate_delivery (aggregate_id, seq, node, redelivered, during_merge) "
                                + "VALUES (?, ?, ?, ?, ?)", event.aggregateId(), event.seq(), node, redelivery,
                        duringMerge);
            return;
        }
        if (event.seq() > 0 && !seen.contains(event.seq() - 1)) {
            jdbc.update("INSERT INTO order_violation (aggregate_id, seq, node, redelivered) VALUES (?, ?, ?, ?)",
                        event.aggregateId(), event.seq(), node, redelivery);
        }
        jdbc.update("INSERT INTO projection (aggregate_id, seq, node, redelivered) VALUES (?, ?, ?, ?)",
                    event.aggregateId(), event.seq(), node, redelivery);
    }

    private boolean fixed(ItemRecorded event) {
        Integer rows = jdbc.queryForObject("SELECT COUNT(*) FROM faults_fixed WHERE fault_key IN ('*', ?, ?)",
                                           Integer.class, event.key(), event.aggregateId());
        return rows != null && rows > 0;
    }

    /** Fails every attempt until fixed. */
    public static class PermanentFaultException extends IllegalStateException {
        public PermanentFaultException(String key) {
            super("permanent fault of " + key);
        }
    }

    /** Fails the first attempt on a node. */
    public static class TransientFaultException extends IllegalStateException {
        public TransientFaultException(String key) {
            super("transient fault of " + key);
        }
    }
}
