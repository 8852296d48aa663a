package io.axondlq.sample.account;

public record AccountOpened(String accountId, String owner) implements AccountEvent {

    @Override
    public long balanceChange() {
        return 0;
    }
}
