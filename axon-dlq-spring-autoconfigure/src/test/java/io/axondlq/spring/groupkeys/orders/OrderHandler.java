package io.axondlq.spring.groupkeys.orders;

import org.axonframework.eventhandling.EventHandler;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A handler without {@code @ProcessingGroup}: Axon names its group after this package,
 * {@value #GROUP}. Fails for every payload that starts with {@code poison}.
 */
public class OrderHandler {

    public static final String GROUP = "io.axondlq.spring.groupkeys.orders";

    public final AtomicInteger attempts = new AtomicInteger();

    @EventHandler
    public void on(String orderId) {
        attempts.incrementAndGet();
        if (orderId.startsWith("poison")) {
            throw new IllegalStateException("poisoned " + orderId);
        }
    }
}
