package io.axondlq.spring.groupkeys;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

/** A group whose name has a dash, which an environment variable writes without it ({@code ORDERPROJECTION}). */
@ProcessingGroup(OrderProjectionHandler.GROUP)
public class OrderProjectionHandler {

    public static final String GROUP = "order-projection";

    @EventHandler
    public void on(Short quantity) {
    }
}
