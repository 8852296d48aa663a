package io.axondlq.spring.web.testapp;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

import java.util.concurrent.atomic.AtomicLong;

/** A second group (tracking processor, same name) that never fails: running, but without letters. */
@ProcessingGroup(NotificationProjection.GROUP)
public class NotificationProjection {

    public static final String GROUP = "notifications";

    public final AtomicLong handled = new AtomicLong();

    @EventHandler
    public void on(AccountCredited event) {
        handled.incrementAndGet();
    }
}
