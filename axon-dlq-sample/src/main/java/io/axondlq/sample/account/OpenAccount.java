package io.axondlq.sample.account;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

public record OpenAccount(@TargetAggregateIdentifier String accountId, String owner) {
}
