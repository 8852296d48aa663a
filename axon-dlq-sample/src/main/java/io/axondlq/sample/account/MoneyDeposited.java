package io.axondlq.sample.account;

public record MoneyDeposited(String accountId, long amount) implements AccountEvent {

    @Override
    public long balanceChange() {
        return amount;
    }
}
