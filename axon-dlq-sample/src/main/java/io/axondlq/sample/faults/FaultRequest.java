package io.axondlq.sample.faults;

/**
 * Body of {@code POST /faults}. Every field is optional; {@code mode} defaults to PERMANENT, {@code phase} to
 * BEFORE_WRITE, {@code times} (TRANSIENT only) to 1.
 *
 * @param aggregateId     only events of this account
 * @param eventType       only events of this type: AccountOpened, MoneyDeposited or MoneyWithdrawn
 * @param processingGroup only in this group: account-balances or account-activity
 */
public record FaultRequest(String aggregateId, String eventType, String processingGroup, FaultMode mode,
                           FaultPhase phase, Integer times) {
}
