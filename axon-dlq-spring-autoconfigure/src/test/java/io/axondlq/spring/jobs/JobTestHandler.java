package io.axondlq.spring.jobs;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** The processing group's only handler: fails for poisoned things, records every event it handled. */
@ProcessingGroup(RetryJobFixture.GROUP)
public class JobTestHandler {

    final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    final List<String> handled = new CopyOnWriteArrayList<>();

    @EventHandler
    public void on(ThingChanged event) {
        if (poisoned.contains(event.thingId())) {
            throw new IllegalStateException("poisoned " + event.key());
        }
        handled.add(event.key());
    }
}
