package io.axondlq.sample.account;

import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.spring.stereotype.Aggregate;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

/** An event-sourced bank account: its events are stored in Axon's JDBC event store. */
@Aggregate
public class Account {

    @AggregateIdentifier
    private String accountId;
    private long balance;

    protected Account() {
        // for Axon's event sourcing
    }

    @CommandHandler
    public Account(OpenAccount command) {
        if (command.owner() == null || command.owner().isBlank()) {
            throw new IllegalArgumentException("owner is required");
        }
        apply(new AccountOpened(command.accountId(), command.owner()));
    }

    @CommandHandler
    public void handle(DepositMoney command) {
        requirePositive(command.amount());
        apply(new MoneyDeposited(accountId, command.amount()));
    }

    @CommandHandler
    public void handle(WithdrawMoney command) {
        requirePositive(command.amount());
        if (command.amount() > balance) {
            throw new InsufficientFundsException(accountId, balance, command.amount());
        }
        apply(new MoneyWithdrawn(accountId, command.amount()));
    }

    @EventSourcingHandler
    void on(AccountOpened event) {
        this.accountId = event.accountId();
    }

    @EventSourcingHandler
    void on(MoneyDeposited event) {
        balance += event.amount();
    }

    @EventSourcingHandler
    void on(MoneyWithdrawn event) {
        balance -= event.amount();
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive");
        }
    }
}
