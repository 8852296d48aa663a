package io.axondlq.sample.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

public record WithdrawMoney(@TargetAggregateIdentifier String accountId, long amount) {
}
