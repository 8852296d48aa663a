package io.axondlq.sample.account;

/** Every event of the {@link Account} aggregate. */
public sealed interface AccountEvent permits AccountOpened, MoneyDeposited, MoneyWithdrawn {

    String accountId();

    /** How the event changes the balance. */
    long balanceChange();
}
