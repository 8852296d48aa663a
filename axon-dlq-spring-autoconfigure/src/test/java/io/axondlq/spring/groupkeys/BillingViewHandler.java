package io.axondlq.spring.groupkeys;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

/** A group whose name has upper-case letters, which an environment variable writes in lower case as a map key. */
@ProcessingGroup(BillingViewHandler.GROUP)
public class BillingViewHandler {

    public static final String GROUP = "BillingView";

    @EventHandler
    public void on(Long amount) {
    }
}
