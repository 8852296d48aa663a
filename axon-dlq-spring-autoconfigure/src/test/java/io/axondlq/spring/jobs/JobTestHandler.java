package io.axondlq.spring.jobs;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The processing group's only handler: fails for poisoned things, waits in the events of paused things until the test
 * lets them go (a long pause mid-sequence), records every event it handled.
 */
@ProcessingGroup(RetryJobFixture.GROUP)
public class JobTestHandler {

    final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    final List<String> handled = new CopyOnWriteArrayList<>();
    /** Thing id -> the latch its events wait for. */
    final Map<String, CountDownLatch> paused = new ConcurrentHashMap<>();
    /** Things whose event is waiting (or waited) in the handler. */
    final Set<String> waiting = ConcurrentHashMap.newKeySet();
    /** Event key ({@link ThingChanged#key()}) -> the latch that one event waits for. */
    final Map<String, CountDownLatch> pausedEvents = new ConcurrentHashMap<>();
    /** Event keys waiting (or that waited) in the handler for their {@link #pausedEvents} latch. */
    final Set<String> waitingEvents = ConcurrentHashMap.newKeySet();
    /** The application context is closing: every handler fails, as one whose DataSource was closed does. */
    final AtomicBoolean contextClosed = new AtomicBoolean();

    @EventHandler
    public void on(ThingChanged event) throws InterruptedException {
        CountDownLatch pause = paused.get(event.thingId());
        if (pause != null) {
            waiting.add(event.thingId());
            pause.await(60, TimeUnit.SECONDS);
        }
        CountDownLatch eventPause = pausedEvents.get(event.key());
        if (eventPause != null) {
            waitingEvents.add(event.key());
            eventPause.await(60, TimeUnit.SECONDS);
        }
        if (contextClosed.get()) {
            throw new IllegalStateException("HikariDataSource (HikariPool-1) has been closed");
        }
        if (poisoned.contains(event.thingId())) {
            throw new IllegalStateException("poisoned " + event.key());
        }
        handled.add(event.key());
    }
}
