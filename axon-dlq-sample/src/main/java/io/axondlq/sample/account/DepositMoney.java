package io.axondlq.sample.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

public record DepositMoney(@TargetAggregateIdentifier String accountId, long amount) {
}
