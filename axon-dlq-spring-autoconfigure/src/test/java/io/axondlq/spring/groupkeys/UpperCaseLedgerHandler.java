package io.axondlq.spring.groupkeys;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

/** A group that differs from {@link LedgerHandler}'s only in case, which Axon allows. */
@ProcessingGroup(UpperCaseLedgerHandler.GROUP)
public class UpperCaseLedgerHandler {

    public static final String GROUP = "Ledger";

    @EventHandler
    public void on(Byte entry) {
    }
}
