package io.axondlq.testsupport;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reader tails the engine the way a streaming processor does (from the last position it read) while another thread
 * appends several events in one call: it must read every position, in order.
 */
class OrderedInMemoryEventStorageEngineTest {

    private static final int EVENTS_PER_APPEND = 9;
    private static final int ROUNDS = 3_000;
    /** Rounds to wait for a race that depends on thread scheduling. */
    private static final int MAX_ROUNDS = 30_000;

    /** What the reader saw in one round: the positions, and whether a read pass ended inside the append. */
    private record Round(List<Long> positions, boolean sawPartialAppend) {
    }

    @Test
    void aReaderTailingDuringAMultiEventAppendReadsEveryPositionInOrder() throws Exception {
        List<Long> expected = Stream.iterate(0L, p -> p + 1).limit(EVENTS_PER_APPEND).toList();
        int partial = 0;
        for (int round = 0; round < ROUNDS || (partial == 0 && round < MAX_ROUNDS); round++) {
            Round seen = race(OrderedInMemoryEventStorageEngine::new);
            assertThat(seen.positions()).as("round %d", round).isEqualTo(expected);
            partial += seen.sawPartialAppend() ? 1 : 0;
        }
        // The interleaving this is about happened: the reader read while an append was half done.
        assertThat(partial).as("rounds whose reader read in the middle of the append").isPositive();
    }

    /**
     * Why the engine above exists: Axon's own engine, under the same race, lets the reader miss position 0 (stored
     * last). Should a later Axon fix this, this test fails and the workaround can go.
     */
    @Test
    void axonsOwnEngineLetsTheReaderMissAnEventUnderTheSameRace() throws Exception {
        Round missed = null;
        int round = 0;
        while (missed == null && round < MAX_ROUNDS) {
            Round seen = race(InMemoryEventStorageEngine::new);
            if (seen.positions().size() < EVENTS_PER_APPEND) {
                missed = seen;
            }
            round++;
        }
        assertThat(missed).as("a round in which the reader missed an event, of %d", round).isNotNull();
        assertThat(missed.positions()).doesNotContain(0L);
    }

    private static Round race(Supplier<InMemoryEventStorageEngine> engines) throws Exception {
        InMemoryEventStorageEngine engine = engines.get();
        List<EventMessage<?>> events = new ArrayList<>();
        for (int i = 0; i < EVENTS_PER_APPEND; i++) {
            events.add(GenericEventMessage.asEventMessage("event-" + i));
        }
        List<Long> positions = new ArrayList<>();
        AtomicBoolean appended = new AtomicBoolean();
        AtomicBoolean partial = new AtomicBoolean();
        CountDownLatch reading = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            TrackingToken last = null;
            reading.countDown();
            while (true) {
                boolean appendDone = appended.get();
                List<? extends TrackedEventMessage<?>> read;
                try (Stream<? extends TrackedEventMessage<?>> stream = engine.readEvents(last, false)) {
                    read = stream.collect(Collectors.toList());
                }
                for (TrackedEventMessage<?> event : read) {
                    positions.add(((GlobalSequenceTrackingToken) event.trackingToken()).getGlobalIndex());
                    last = event.trackingToken();
                }
                if (appendDone) {
                    return;
                }
                if (!positions.isEmpty() && positions.size() < EVENTS_PER_APPEND) {
                    partial.set(true);
                }
            }
        });
        reader.start();
        reading.await();
        engine.appendEvents(events);
        appended.set(true);
        reader.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(reader.isAlive()).isFalse();
        return new Round(positions, partial.get());
    }
}
