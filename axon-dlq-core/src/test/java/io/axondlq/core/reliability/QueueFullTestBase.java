package io.axondlq.core.reliability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.testsupport.DatabaseTestBase;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.Segment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 7, queue full (invariants I1, I4, I6), with a real pooled streaming processor of 2 segments: the group may hold
 * 2 sequences. A third poisoned aggregate cannot be dead-lettered, so its segment stalls, with a clear ERROR log line and
 * the observer's {@code overflowed} callback (what the metric counts); the other segment keeps going; nothing is dropped
 * or skipped. Once an operator frees space (here: fixes and redelivers a sequence), the segment resumes: the third
 * aggregate is dead-lettered, the events behind it are handled in order. The same holds for a full sequence (3 letters
 * at most), where the overflow happens while parking followers, and an operator who evicts instead.
 */
abstract class QueueFullTestBase extends DatabaseTestBase {

    private final AtomicInteger overflowed = new AtomicInteger();
    private final AtomicInteger deadLettered = new AtomicInteger();
    private final DeadLetterObserver observer = new DeadLetterObserver() {
        @Override
        public void overflowed(String processingGroup, EventMessage<?> event) {
            overflowed.incrementAndGet();
        }

        @Override
        public void deadLettered(String processingGroup, EventMessage<?> event, Throwable cause, int attempts) {
            deadLettered.incrementAndGet();
        }
    };
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger invokerLogger = (Logger) LoggerFactory.getLogger(DeadLetteringEventHandlerInvoker.class);
    private QueueFullFixture fixture;

    @BeforeEach
    void start() {
        log.start();
        invokerLogger.addAppender(log);
        fixture = new QueueFullFixture(testDatabase, dataSource, new DeadLetterLimits(2, 3), observer).start();
    }

    @AfterEach
    void stop() {
        fixture.close();
        invokerLogger.detachAppender(log);
    }

    @Test
    void aThirdPoisonedSequenceStallsItsSegmentUntilSpaceIsFreedAndNothingIsDropped() {
        String first = "poison-a";
        String second = "poison-b";
        // The third poisoned aggregate, a healthy one in its segment, and a healthy one in the other segment.
        String third = aggregate("poison-c-", 0);
        String stalled = aggregate("same-segment-", segmentOf(third));
        String other = aggregate("other-segment-", 1 - segmentOf(third));
        fixture.handler.poisoned.addAll(List.of(first, second, third));

        fixture.publish(first, first);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.letters(first) == 2);
        fixture.publish(second);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.sequenceKeys().size() == 2);

        fixture.publish(third, stalled, stalled, other, third, stalled, other);

        // Stalled, loudly: the overflow callback, an ERROR line naming the group; the other segment keeps going.
        await().atMost(Duration.ofSeconds(30)).until(() -> overflowed.get() > 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.projected(other).size() == 2);
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(fixture.projected(stalled)).as("events behind the overflow wait").isEmpty();
        assertThat(fixture.letters(third)).as("the overflowing sequence is not stored").isZero();
        assertThat(fixture.sequenceKeys()).hasSize(2);
        List<String> errors = new ArrayList<>();
        for (ILoggingEvent event : List.copyOf(log.list)) {
            if (event.getLevel() == Level.ERROR) {
                errors.add(event.getFormattedMessage());
            }
        }
        assertThat(errors).anySatisfy(line -> assertThat(line)
                .contains("Dead-letter queue of processing group [" + QueueFullFixture.GROUP + "] is full")
                .contains("stalls"));
        int overflowsWhileFull = overflowed.get();

        // An operator frees space: fixes the first aggregate and redelivers its sequence.
        fixture.handler.poisoned.remove(first);
        RedeliveryResult result = fixture.module().redeliverer().redeliver(QueueFullFixture.GROUP,
                                                                          fixture.store.sequenceKey(first));
        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        long freed = System.nanoTime();

        await().atMost(Duration.ofSeconds(90)).until(() -> fixture.projected(stalled).size() == 3);
        long resumedMillis = (System.nanoTime() - freed) / 1_000_000;
        assertThat(fixture.projected(stalled)).containsExactly(0L, 1L, 2L);
        assertThat(fixture.projected(other)).containsExactly(0L, 1L);
        assertThat(fixture.projected(first)).containsExactly(0L, 1L);
        assertThat(fixture.letters(second)).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.letters(third) == 2);
        assertThat(fixture.sequenceKeys()).containsExactlyInAnyOrder(fixture.store.sequenceKey(second),
                                                                     fixture.store.sequenceKey(third));
        // Nothing dropped: every published event is handled or dead-lettered.
        long published = 0;
        long accounted = 0;
        for (String aggregate : List.of(first, second, third, stalled, other)) {
            published += fixture.published(aggregate);
            accounted += fixture.projected(aggregate).size() + fixture.letters(aggregate);
        }
        assertThat(accounted).isEqualTo(published);
        System.out.printf("[reliability] RESULT queue full (%s): %d overflow callbacks while full, ERROR line \"%s\", "
                                  + "other segment unaffected, resumed %d ms after the redelivery freed space, "
                                  + "%d/%d events handled or dead-lettered%n", testDatabase, overflowsWhileFull,
                          errors.get(0), resumedMillis, accounted, published);
    }

    @Test
    void aFullSequenceStallsItsSegmentWhileParkingUntilAnOperatorEvictsIt() {
        String poisoned = aggregate("long-poison-", 0);
        String stalled = aggregate("same-segment-", segmentOf(poisoned));
        String other = aggregate("other-segment-", 1 - segmentOf(poisoned));
        fixture.handler.poisoned.add(poisoned);

        // 1 dead letter + 2 parked fill the sequence; the 4th event cannot be parked.
        fixture.publish(poisoned, poisoned, poisoned);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.letters(poisoned) == 3);
        fixture.publish(poisoned, stalled, other, poisoned, stalled, other);

        await().atMost(Duration.ofSeconds(30)).until(() -> overflowed.get() > 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.projected(other).size() == 2);
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(fixture.projected(stalled)).as("events behind the overflow wait").isEmpty();
        assertThat(fixture.letters(poisoned)).isEqualTo(3);
        assertThat(List.copyOf(log.list)).anySatisfy(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.ERROR);
            assertThat(event.getFormattedMessage()).contains("is full").contains("stalls");
        });

        // The operator evicts the sequence (3 letters dropped on purpose); the rest resumes. The poisoned events
        // behind the evicted ones start a new sequence, in order.
        int evicted = fixture.store.evictSequence(QueueFullFixture.GROUP, fixture.store.sequenceKey(poisoned));
        assertThat(evicted).isEqualTo(3);
        await().atMost(Duration.ofSeconds(90)).until(() -> fixture.projected(stalled).size() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> fixture.letters(poisoned) == 2);
        assertThat(fixture.store.sequenceLetters(QueueFullFixture.GROUP, fixture.store.sequenceKey(poisoned), -1, 10))
                .extracting(letter -> ((io.axondlq.core.ThingHappened) letter.message().getPayload()).seq())
                .containsExactly(3L, 4L);
        assertThat(fixture.projected(stalled)).containsExactly(0L, 1L);
        long published = fixture.published(poisoned) + fixture.published(stalled) + fixture.published(other);
        long accounted = evicted + fixture.letters(poisoned) + fixture.projected(stalled).size()
                + fixture.projected(other).size();
        assertThat(accounted).isEqualTo(published);
        System.out.printf("[reliability] RESULT sequence full (%s): %d overflow callbacks, resumed after eviction, "
                                  + "%d/%d events handled, dead-lettered or evicted by the operator%n", testDatabase,
                          overflowed.get(), accounted, published);
    }

    /**
     * A batch that dead-letters an event and then fails as a whole (a follower of a full sequence overflows) rolls the
     * letter back: {@code deadLettered} (the {@code axon.dlq.enqueued} metric) must not count it, however often the
     * processor retries the batch, and counts it once when a retry commits it. The processor is paused while both
     * events are published, so that its first batch holds both.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DeadLetteringEventHandlerInvoker.Isolation.class)
    void aDeadLetterOfABatchThatOverflowsIsCountedOnlyOnceItCommits(DeadLetteringEventHandlerInvoker.Isolation isolation) {
        fixture.close();
        fixture = new QueueFullFixture(testDatabase, dataSource, new DeadLetterLimits(2, 3), observer).start(isolation);
        String full = aggregate("full-", 0);
        String poisoned = aggregate("fresh-poison-", 0);
        fixture.handler.poisoned.addAll(List.of(full, poisoned));
        fixture.publish(full, full, full);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.letters(full) == 3);
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLettered.get() == 1);
        overflowed.set(0);

        // One batch of one segment: the poisoned event is dead-lettered, then the full sequence's next one overflows.
        fixture.pause();
        fixture.publish(poisoned, full);
        fixture.resume();
        await().atMost(Duration.ofSeconds(60)).until(() -> overflowed.get() >= 3);
        // Retries may split the batch, so the poisoned event's letter may commit on its own meanwhile: never counted
        // before that (counter read first, then the letters).
        int counted = deadLettered.get();
        assertThat(counted).as("dead letters counted while the batch keeps rolling back")
                           .isLessThanOrEqualTo(1 + (int) fixture.letters(poisoned));

        // Space again: the batch commits, with the poisoned event's letter and the full sequence's event live.
        fixture.store.evictSequence(QueueFullFixture.GROUP, fixture.store.sequenceKey(full));
        await().atMost(Duration.ofSeconds(90)).until(() -> fixture.letters(poisoned) == 1
                && fixture.letters(full) == 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> deadLettered.get() >= 3);
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(deadLettered.get()).as("the first letter, the poisoned event, the full sequence's new letter")
                                      .isEqualTo(3);
    }

    /**
     * An interceptor of the processor that catches what its chain throws (a "log and go on" one) sees the overflow
     * of the processor's own event; the batch must not commit anyway, or the event would be neither handled nor
     * dead-lettered (I1). Before, it committed: the poisoned event was lost and the events behind it handled.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DeadLetteringEventHandlerInvoker.Isolation.class)
    void anInterceptorThatSwallowsTheOverflowDoesNotLetTheBatchCommit(
            DeadLetteringEventHandlerInvoker.Isolation isolation) {
        AtomicInteger swallowed = restartWithASwallowingInterceptor(isolation);
        String first = "poison-a";
        String second = "poison-b";
        String third = aggregate("poison-c-", 0);
        String behind = aggregate("same-segment-", 0);
        fixture.handler.poisoned.addAll(List.of(first, second, third));
        fixture.publish(first, second);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.sequenceKeys().size() == 2);

        fixture.pause();
        fixture.publish(third, behind);
        fixture.resume();
        await().atMost(Duration.ofSeconds(30)).until(() -> overflowed.get() > 0);
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        assertThat(swallowed).as("the interceptor caught the overflow").hasPositiveValue();
        assertThat(fixture.projected(behind)).as("the batch did not commit").isEmpty();
        assertThat(fixture.letters(third)).isZero();

        fixture.store.evictSequence(QueueFullFixture.GROUP, fixture.store.sequenceKey(first));
        await().atMost(Duration.ofSeconds(90)).until(() -> fixture.letters(third) == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.projected(behind).size() == 1);
    }

    /**
     * As above, with the overflow while parking a follower of a full sequence: this held before (the store's refused
     * append throws inside its transaction callback, which marks the batch's transaction rollback-only); kept so that
     * it stays so.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DeadLetteringEventHandlerInvoker.Isolation.class)
    void anInterceptorThatSwallowsAFullSequenceDoesNotLetTheBatchCommit(
            DeadLetteringEventHandlerInvoker.Isolation isolation) {
        AtomicInteger swallowed = restartWithASwallowingInterceptor(isolation);
        String full = aggregate("full-", 0);
        String behind = aggregate("same-segment-", 0);
        fixture.handler.poisoned.add(full);
        fixture.publish(full, full, full);
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.letters(full) == 3);

        fixture.pause();
        fixture.publish(full, behind);
        fixture.resume();
        await().atMost(Duration.ofSeconds(30)).until(() -> overflowed.get() > 0);
        await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> true);
        if (isolation == DeadLetteringEventHandlerInvoker.Isolation.SAVEPOINT_PER_ATTEMPT) {
            // Parked at its own position; a checkpointed batch parks at its commit, outside the interceptors.
            assertThat(swallowed).as("the interceptor caught the overflow").hasPositiveValue();
        }
        assertThat(fixture.projected(behind)).as("the batch did not commit").isEmpty();
        assertThat(fixture.letters(full)).isEqualTo(3);

        fixture.handler.poisoned.remove(full);
        fixture.store.evictSequence(QueueFullFixture.GROUP, fixture.store.sequenceKey(full));
        await().atMost(Duration.ofSeconds(90)).until(() -> fixture.projected(full).equals(List.of(3L)));
        await().atMost(Duration.ofSeconds(30)).until(() -> fixture.projected(behind).size() == 1);
    }

    /** Restarts the fixture with a "log and go on" interceptor of the processor; counts what it caught. */
    private AtomicInteger restartWithASwallowingInterceptor(DeadLetteringEventHandlerInvoker.Isolation isolation) {
        fixture.close();
        fixture = new QueueFullFixture(testDatabase, dataSource, new DeadLetterLimits(2, 3), observer);
        AtomicInteger swallowed = new AtomicInteger();
        fixture.interceptor = (unitOfWork, chain) -> {
            try {
                return chain.proceed();
            } catch (Exception e) {
                swallowed.incrementAndGet();
                return null;
            }
        };
        fixture.start(isolation);
        return swallowed;
    }

    private static int segmentOf(String aggregateId) {
        return Segment.computeSegment(0, 0, 1).matches(aggregateId) ? 0 : 1;
    }

    /** The first {@code prefix + n} whose segment is {@code segment}. */
    private static String aggregate(String prefix, int segment) {
        for (int n = 0; ; n++) {
            if (segmentOf(prefix + n) == segment) {
                return prefix + n;
            }
        }
    }
}
