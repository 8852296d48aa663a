package io.axondlq.spring.groupkeys;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

/** A group whose name an environment variable can spell as a map key: lower case, no dots or dashes. */
@ProcessingGroup(LedgerHandler.GROUP)
public class LedgerHandler {

    public static final String GROUP = "ledger";

    @EventHandler
    public void on(Integer entry) {
    }
}
