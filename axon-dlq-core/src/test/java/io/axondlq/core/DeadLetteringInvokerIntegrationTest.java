package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.Savepoints;
import io.axondlq.core.tx.TransactionAbortedException;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.CountingDataSource;
import org.axonframework.config.Configuration;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.InMemorySequencedDeadLetterQueue;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.springframework.jdbc.core.JdbcTemplate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The dead-lettering invoker end to end: real pooled streaming and tracking processors built by Axon's configuration
 * through {@code DeadLetteringEventProcessingModule}, a JDBC projection, a JDBC token store and the JDBC dead-letter
 * store in one database, with Spring's {@code DataSourceTransactionManager} as Axon's transaction manager. Written
 * once, subclassed per database.
 */
abstract class DeadLetteringInvokerIntegrationTest extends InvokerTestBase {

    @Override
    InvokerFixture newFixture() {
        return countedFixture();
    }

    private static List<Long> range(long fromInclusive, long toExclusive) {
        return LongStream.range(fromInclusive, toExclusive).boxed().toList();
    }

    // --- 1. poison event ----------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void poisonEventParksTheRestOfItsAggregateWhileOtherAggregatesFlow(ProcessorType type) {
        InvokerFixture f = fixture.start(Options.of(type));
        f.handler.faults.poisoned.add("A");

        f.publishRounds(4, "A", "B", "C");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactlyElementsOf(range(0, 4));
            assertThat(f.projected("C")).containsExactlyElementsOf(range(0, 4));
            assertThat(f.sequenceSize("A")).isEqualTo(4);
        });
        eventually().until(f::tokensAtHead);

        List<StoredLetter> letters = f.letters("A");
        assertThat(letters).extracting(l -> ((ThingHappened) l.message().getPayload()).seq())
                           .containsExactly(0L, 1L, 2L, 3L);
        StoredLetter head = letters.get(0);
        assertThat(head.parked()).isFalse();
        assertThat(head.attempts()).isEqualTo(3);
        assertThat(head.cause()).hasValueSatisfying(c -> {
            assertThat(c.type()).isEqualTo(IllegalStateException.class.getName());
            assertThat(c.message()).isEqualTo("poisoned A#0");
        });
        assertThat(f.store.attempts(head.id())).extracting(AttemptRecord::attempt).containsExactly(1, 2, 3);
        assertThat(f.store.attempts(head.id())).allSatisfy(
                a -> assertThat(a.causeType()).isEqualTo(IllegalStateException.class.getName()));
        for (StoredLetter follower : letters.subList(1, letters.size())) {
            assertThat(follower.parked()).as("%s", follower).isTrue();
            assertThat(follower.attempts()).as("%s", follower).isZero();
            assertThat(follower.cause()).isEmpty();
            assertThat(f.store.attempts(follower.id())).isEmpty();
        }
        // Parked followers never reached the handler; the poison event was tried maxAttempts times.
        assertThat(f.handler.invocations("A#0")).isEqualTo(3);
        assertThat(f.handler.invocations("A#1") + f.handler.invocations("A#2") + f.handler.invocations("A#3"))
                .isZero();
        assertThat(f.projected("A")).isEmpty();
        assertThat(f.store.size(GROUP)).isEqualTo(4);
        assertThat(f.store.sequenceCount(GROUP)).isEqualTo(1);
        assertThat(f.store.contains(GROUP, f.key("B"))).isFalse();
    }

    // --- 2. retry policy ----------------------------------------------------------------------------------------

    @Test
    void transientFailureThatSucceedsOnTheSecondAttemptIsNotDeadLettered() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        f.handler.faults.failTimes("A#1", 1);

        f.publishRounds(3, "A", "B");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("A")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("A#1")).isEqualTo(2);
        assertThat(f.store.size(GROUP)).isZero();
        assertThat(f.projected("A")).as("projected once").hasSize(3);
    }

    @Test
    void nonRetryableFailureIsDeadLetteredAfterOneAttempt() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).settings(InvokerFixture.settings(
                InvokerFixture.fastRetry(3).nonRetryable(List.of(IllegalArgumentException.class)).build())));
        f.handler.faults.nonRetryable.add("A");

        f.publishRounds(2, "A", "B");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        StoredLetter head = f.letters("A").get(0);
        assertThat(head.attempts()).isEqualTo(1);
        assertThat(head.cause()).hasValueSatisfying(
                c -> assertThat(c.type()).isEqualTo(IllegalArgumentException.class.getName()));
        assertThat(f.store.attempts(head.id())).hasSize(1);
        assertThat(f.handler.invocations("A#0")).isEqualTo(1);
        assertThat(f.letters("A").get(1).parked()).isTrue();
    }

    // --- 3. no partial effects ----------------------------------------------------------------------------------

    @Test
    void handlerThatWritesThenFailsLeavesNoRowLiveNorOnAFailingRedelivery() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        f.handler.faults.insertThenThrow.add("A");

        f.publishRounds(2, "A", "B");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("A#0")).as("every attempt wrote a row").isEqualTo(3);
        assertThat(f.projected("A")).as("live: no row left behind").isEmpty();

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(f.handler.invocations("A#0")).isEqualTo(4);
        assertThat(f.projected("A")).as("redelivery: no row left behind").isEmpty();
        assertThat(f.sequenceSize("A")).isEqualTo(2);
        assertThat(f.projectionRows()).isEqualTo(2);
    }

    /**
     * A handler interceptor that does not proceed (a filtering or deduplicating one) while a letter is redelivered
     * resolves the letter, as it resolves a live event and as Axon's own dead-letter processing evicts a letter whose
     * unit of work commits. Before, such a letter stayed stored while the redelivery counted it and reported the
     * sequence drained: this node's parked set forgot the sequence and its next event was handled live ahead of it.
     */
    @Test
    void aLetterWhoseInterceptorDoesNotProceedIsResolvedAndTheSequenceDrainsOnlyOnceItsLettersAreGone() {
        AtomicBoolean skipA0 = new AtomicBoolean();
        MessageHandlerInterceptor<EventMessage<?>> interceptor = (unitOfWork, chain) ->
                skipA0.get() && ((ThingHappened) unitOfWork.getMessage().getPayload()).key().equals("A#0")
                        ? null : chain.proceed();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).customizer(
                ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> interceptor)));
        f.park(2, "A");
        int a0Attempts = f.handler.invocations("A#0");
        skipA0.set(true);

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(2);
        assertThat(f.handler.invocations("A#0")).as("the interceptor kept A#0 from the handler")
                                               .isEqualTo(a0Attempts);
        assertThat(f.sequenceSize("A")).as("both letters resolved").isZero();
        assertThat(f.projected("A")).containsExactly(1L);

        skipA0.set(false);
        f.publishRounds(1, "A");
        eventually().untilAsserted(() -> assertThat(f.projected("A")).containsExactly(1L, 2L));
        assertThat(f.sequenceSize("A")).isZero();
    }

    /**
     * A handler interceptor that catches what its chain throws cannot turn a failing redelivery into a success: the
     * letter stays, attempts + 1, as a live failure is dead-lettered whatever the interceptors do (the processor's
     * interceptors never see it). Nothing of the failed attempt commits.
     */
    @Test
    void aRedeliveryFailureCaughtByAnInterceptorStillKeepsTheLetter() {
        AtomicBoolean swallow = new AtomicBoolean();
        AtomicInteger caught = new AtomicInteger();
        MessageHandlerInterceptor<EventMessage<?>> logAndGoOn = (unitOfWork, chain) -> {
            try {
                return chain.proceed();
            } catch (Exception e) {
                if (!swallow.get()) {
                    throw e;
                }
                caught.incrementAndGet();
                return null;
            }
        };
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).customizer(
                ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> logAndGoOn)));
        f.handler.faults.insertThenThrow.add("A");
        f.publishRounds(2, "A");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(2));
        eventually().until(f::tokensAtHead);
        swallow.set(true);

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(result.redelivered()).isZero();
        assertThat(f.sequenceSize("A")).isEqualTo(2);
        assertThat(f.letters("A").get(0).attempts()).isEqualTo(4);
        assertThat(f.projected("A")).as("the failed attempt's row rolled back").isEmpty();
        assertThat(caught).as("the interceptor caught the handler's failure").hasValue(1);
    }

    // --- 4. database error inside a batch -----------------------------------------------------------------------

    @Test
    void uniqueConstraintViolationDeadLettersOnlyThatEventAndCommitsTheRestOfItsBatch() {
        // All events are in the store before the processor starts: one thread, one segment and a batch size larger
        // than the stream put them all in one batch (one transaction).
        List<EventMessage<?>> events = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (String aggregate : List.of("A", "B", "C")) {
                events.add(fixture.next(aggregate));
            }
        }
        fixture.storageEngine.appendEvents(events);
        fixture.jdbc.update("INSERT INTO unique_guard (k) VALUES ('taken')");
        fixture.handler.faults.uniqueViolation.add("B#1");

        InvokerFixture f = fixture.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(50));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("A")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("C")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("B")).containsExactly(0L);
            assertThat(f.sequenceSize("B")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        // The failing event shared its batch (its transaction) with the events that committed.
        String batch = f.handler.batchOf.get("B#1");
        assertThat(f.handler.batchOf.get("A#0")).isEqualTo(batch);
        assertThat(f.handler.batchOf.get("C#2")).isEqualTo(batch);
        StoredLetter head = f.letters("B").get(0);
        assertThat(head.attempts()).isEqualTo(3);
        assertThat(head.cause()).hasValueSatisfying(
                c -> assertThat(c.type()).isEqualTo(org.springframework.dao.DuplicateKeyException.class.getName()));
        assertThat(f.letters("B").get(1).parked()).isTrue();
        assertThat(f.projectionRows()).isEqualTo(7);
    }

    // --- 5. redelivery ------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void redeliveryAfterTheFixDrainsTheSequenceInOrderAndLiveEventsFlowAgain(ProcessorType type) {
        InvokerFixture f = fixture.start(Options.of(type));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(4, "A", "B");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(4));

        f.handler.faults.clear();
        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(4);
        assertThat(result.remaining()).isZero();
        assertThat(f.projected("A")).containsExactly(0L, 1L, 2L, 3L);
        assertThat(f.redeliveredFlags("A")).containsOnly(true);
        assertThat(f.store.contains(GROUP, f.key("A"))).isFalse();
        assertThat(f.store.size(GROUP)).isZero();

        // A flows again: new events are handled live, not parked.
        f.publishRounds(2, "A");
        eventually().untilAsserted(() -> assertThat(f.projected("A")).containsExactlyElementsOf(range(0, 6)));
        assertThat(f.redeliveredFlags("A")).containsExactly(true, true, true, true, false, false);
        assertThat(f.store.size(GROUP)).isZero();
        assertThat(LongStream.range(0, 6).map(i -> f.handler.invocations("A#" + i)).toArray())
                .containsExactly(4, 1, 1, 1, 1, 1);
    }

    @Test
    void stillFailingRedeliveryKeepsTheLetterWithOneMoreAttemptAndRollsBackTheHandler() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(3, "A", "B");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(3));
        StoredLetter before = f.letters("A").get(0);

        // Still broken, now after writing its row.
        f.handler.faults.clear();
        f.handler.faults.insertThenThrow.add("A");
        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(result.redelivered()).isZero();
        assertThat(result.remaining()).isEqualTo(3);
        assertThat(result.stoppedAtLetterId()).isEqualTo(before.id());
        assertThat(result.failureType()).isEqualTo(IllegalStateException.class.getName());
        StoredLetter after = f.letters("A").get(0);
        assertThat(after.id()).isEqualTo(before.id());
        assertThat(after.attempts()).isEqualTo(before.attempts() + 1);
        assertThat(after.cause()).hasValueSatisfying(c -> assertThat(c.message()).isEqualTo("failed after writing A#0"));
        List<AttemptRecord> history = f.store.attempts(after.id());
        assertThat(history).extracting(AttemptRecord::attempt).containsExactly(1, 2, 3, 4);
        assertThat(history.get(3).causeMessage()).isEqualTo("failed after writing A#0");
        assertThat(f.projected("A")).as("handler writes rolled back").isEmpty();
        assertThat(f.handler.invocations("A#1")).as("the sequence stops at the failing letter").isZero();
        assertThat(f.letters("A")).extracting(StoredLetter::attempts).containsExactly(4, 0, 0);
        assertThat(f.store.sequence(GROUP, f.key("A")))
                .hasValueSatisfying(s -> assertThat(s.claimedBy()).as("lease released").isNull());

        // Fixed: the same sequence drains.
        f.handler.faults.clear();
        assertThat(f.redeliverer().redeliver(GROUP, f.key("A")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected("A")).containsExactly(0L, 1L, 2L);
    }

    // --- 6. exclusive redelivery --------------------------------------------------------------------------------

    @Test
    void twoRedeliverersOnOneSequenceOnlyOneProceedsAndEveryLetterTakesEffectOnce() throws Exception {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(3, "A", "B");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(3));
        f.handler.faults.clear();

        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        f.handler.hook = (event, redelivery) -> {
            if (redelivery && event.key().equals("A#0")) {
                entered.countDown();
                assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
            }
        };
        ExecutorService nodes = Executors.newFixedThreadPool(2);
        try {
            Future<RedeliveryResult> first = nodes.submit(() -> f.redeliverer().redeliver(GROUP, f.key("A")));
            assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
            Future<RedeliveryResult> second = nodes.submit(() -> f.redeliverer().redeliver(GROUP, f.key("A")));

            assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(SequenceClaimedException.class)
                    .cause().hasMessageContaining("is claimed by");
            release.countDown();
            RedeliveryResult result = first.get(30, TimeUnit.SECONDS);

            assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
            assertThat(result.redelivered()).isEqualTo(3);
        } finally {
            release.countDown();
            nodes.shutdownNow();
        }
        assertThat(f.projected("A")).containsExactly(0L, 1L, 2L);
        assertThat(f.handler.invocations("A#0")).as("3 live attempts + 1 redelivery").isEqualTo(4);
        assertThat(f.handler.invocations("A#1")).isEqualTo(1);
        assertThat(f.handler.invocations("A#2")).isEqualTo(1);
        assertThat(f.redeliverer().redeliver(GROUP, f.key("A")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.NOT_FOUND);
    }

    // --- 7. restart ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void afterARestartParkedSequencesStayParkedAndNothingIsHandledTwice(ProcessorType type) {
        InvokerFixture f = fixture.start(Options.of(type));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(3, "A", "B", "C");
        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("C")).containsExactly(0L, 1L, 2L);
            assertThat(f.sequenceSize("A")).isEqualTo(3);
        });
        eventually().until(f::tokensAtHead);

        // The handler is fixed meanwhile: only the parked set (primed from the store) keeps A's new event out.
        f.handler.faults.clear();
        counting.reset();
        f.shutdown();
        f.tokenStore.resetClaims();
        f.restart();
        f.publishRounds(1, "A", "B", "C");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L, 3L);
            assertThat(f.projected("C")).containsExactly(0L, 1L, 2L, 3L);
            assertThat(f.sequenceSize("A")).isEqualTo(4);
        });
        eventually().until(f::tokensAtHead);
        // Loaded once per segment claim, never per batch: each of the 2 segments at least once after the restart.
        // A claim taken again (a lapse on a loaded machine, a tracking worker reopening its stream) may load again.
        assertThat(counting.countMatching("SELECT sequence_key FROM axon_dlq_sequence"))
                .as("parked set loads after the restart, with %d claims", f.tokenStore.claims())
                .isBetween(2, Math.max(2, f.tokenStore.claims()));
        StoredLetter newest = f.letters("A").get(3);
        assertThat(((ThingHappened) newest.message().getPayload()).seq()).isEqualTo(3);
        assertThat(newest.parked()).isTrue();
        assertThat(f.handler.invocations("A#3")).isZero();
        assertThat(f.projected("A")).isEmpty();
        for (String aggregate : List.of("B", "C")) {
            for (long seq = 0; seq < 4; seq++) {
                assertThat(f.handler.invocations(aggregate + "#" + seq)).as(aggregate + "#" + seq).isEqualTo(1);
            }
        }
        assertThat(f.projectionRows()).isEqualTo(8);
    }

    // --- 8. live events racing a redelivery ---------------------------------------------------------------------

    /**
     * Randomized interleavings of live events of a sequence with the redelivery of that sequence: the redelivery
     * starts at a random moment, each letter takes a random time, and the live events arrive in random chunks at
     * random moments, before, during and after the drain. The pooled processor polls the embedded event store every
     * 500 ms, so its windows are scaled up to make the live events land anywhere in the drain.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void liveEventsRacingTheRedeliveryOfTheirSequenceKeepStreamOrder(ProcessorType type) throws Exception {
        InvokerFixture f = fixture.start(Options.of(type).batchSize(3));
        int iterations = type == ProcessorType.TRACKING ? 30 : 10;
        int window = type == ProcessorType.TRACKING ? 50 : 1200;
        int letterDelay = type == ProcessorType.TRACKING ? 8 : 400;
        long baseSeed = new Random().nextLong();
        System.out.printf("[I2 race, %s, %s] base seed %d: iteration i uses seed %d + i%n", database, type, baseSeed,
                          baseSeed);
        int liveEvents = 0;
        int liveEventsRedelivered = 0;
        int iterationsWithBothPaths = 0;
        int ran = 0;
        ExecutorService redeliveryThread = Executors.newSingleThreadExecutor();
        try {
            // More iterations (up to 3x) while one of the race's two outcomes has not occurred yet: under load the
            // drain can outlast every live event of the first iterations.
            for (int i = 0; i < iterations
                    || (i < 3 * iterations && (liveEventsRedelivered == 0 || liveEventsRedelivered == liveEvents));
                 i++) {
                ran++;
                long seed = baseSeed + i;
                Random random = new Random(seed);
                String aggregate = "R" + i;
                String context = type + ", iteration " + i + ", seed " + seed;
                int parkedCount = 1 + random.nextInt(3);
                int liveCount = 1 + random.nextInt(5);

                f.handler.faults.poisoned.add(aggregate);
                List<EventMessage<?>> first = new ArrayList<>();
                for (int n = 0; n < parkedCount; n++) {
                    first.add(f.next(aggregate));
                    first.add(f.next("noise" + random.nextInt(4)));
                }
                f.publish(first);
                eventually().untilAsserted(
                        () -> assertThat(f.sequenceSize(aggregate)).as(context).isEqualTo(parkedCount));
                f.handler.faults.poisoned.remove(aggregate);
                Random handlerRandom = new Random(seed * 31);
                f.handler.hook = (event, redelivery) -> {
                    if (redelivery) {
                        Thread.sleep(handlerRandom.nextInt(letterDelay + 1));
                    }
                };

                // A schedule: the redelivery and the live chunks, each at a random offset.
                long redeliveryAt = random.nextInt(window + 1);
                List<long[]> chunks = new ArrayList<>(); // {offset, size}
                for (int published = 0; published < liveCount; ) {
                    int size = 1 + random.nextInt(liveCount - published);
                    chunks.add(new long[]{random.nextInt(window + 1), size});
                    published += size;
                }
                chunks.sort((a, b) -> Long.compare(a[0], b[0]));
                long start = System.nanoTime();
                Future<RedeliveryResult> redelivery = null;
                for (long[] chunk : chunks) {
                    if (redelivery == null && redeliveryAt <= chunk[0]) {
                        sleepUntil(start, redeliveryAt);
                        redelivery = redeliveryThread.submit(() -> f.redeliverer().redeliver(GROUP, f.key(aggregate)));
                    }
                    sleepUntil(start, chunk[0]);
                    List<EventMessage<?>> live = new ArrayList<>();
                    for (int n = 0; n < chunk[1]; n++) {
                        live.add(f.next(aggregate));
                    }
                    f.publish(live);
                }
                if (redelivery == null) {
                    sleepUntil(start, redeliveryAt);
                    redelivery = redeliveryThread.submit(() -> f.redeliverer().redeliver(GROUP, f.key(aggregate)));
                }
                RedeliveryResult result = redelivery.get(30, TimeUnit.SECONDS);
                assertThat(result.outcome()).as(context + ": " + result).isEqualTo(RedeliveryResult.Outcome.DRAINED);

                long total = parkedCount + liveCount;
                eventually().untilAsserted(
                        () -> assertThat(f.projected(aggregate)).as(context).hasSize((int) total));
                assertThat(f.projected(aggregate)).as(context + ": projection order")
                                                  .containsExactlyElementsOf(range(0, total));
                for (long seq = 1; seq < total; seq++) {
                    assertThat(f.handler.invocations(aggregate + "#" + seq)).as(context + ": #" + seq).isEqualTo(1);
                }
                assertThat(f.store.contains(GROUP, f.key(aggregate))).as(context + ": DLQ empty").isFalse();
                f.handler.hook = (event, redelivery1) -> {
                };

                List<Boolean> flags = f.redeliveredFlags(aggregate).subList(parkedCount, (int) total);
                long redeliveredLive = flags.stream().filter(b -> b).count();
                liveEvents += liveCount;
                liveEventsRedelivered += (int) redeliveredLive;
                if (redeliveredLive > 0 && redeliveredLive < liveCount) {
                    iterationsWithBothPaths++;
                }
            }
        } finally {
            redeliveryThread.shutdownNow();
        }
        System.out.printf("[I2 race, %s, %s] %d iterations, %d live events: %d parked behind the drain and "
                                  + "redelivered, %d handled live; %d iterations split a sequence's live events "
                                  + "between both paths%n", database, type, ran, liveEvents,
                          liveEventsRedelivered, liveEvents - liveEventsRedelivered, iterationsWithBothPaths);
        // The race is only tested if both of its outcomes occurred: live events parked behind the drain, and live
        // events arriving after it.
        assertThat(liveEventsRedelivered).as("live events parked behind the drain and redelivered").isPositive();
        assertThat(liveEvents - liveEventsRedelivered).as("live events handled live after the drain").isPositive();
        eventually().until(f::tokensAtHead);
        assertThat(f.store.size(GROUP)).isZero();
    }

    private static void sleepUntil(long startNanos, long offsetMillis) throws InterruptedException {
        long wait = offsetMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    /**
     * Parks A (A#0 dead-lettered, A#1 parked behind it) with the processor stopped afterwards, and stores the given
     * events without anyone reading them: when the processor starts again, its stream is behind them, so it reads
     * them all in its first batch.
     */
    private InvokerFixture parkAAndStoreOneBatch(Options options, String... aggregates) {
        InvokerFixture f = fixture.start(options);
        f.handler.faults.poisoned.add("A");
        f.publishRounds(2, "A");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(2));
        eventually().until(f::tokensAtHead);
        f.shutdown();
        f.handler.faults.clear();
        List<EventMessage<?>> batch = new ArrayList<>();
        for (String aggregate : aggregates) {
            batch.add(f.next(aggregate));
        }
        f.storageEngine.appendEvents(batch);
        return f;
    }

    /**
     * A redelivery starts while a live batch has set later events of a parked sequence aside (deferred to the
     * batch's commit, or appended and not committed yet). Whichever comes first, nothing of the batch overtakes the
     * letters: either the redelivery drains the sequence first and the batch finds it drained and handles its
     * followers live after the letters, or it waits for the batch and redelivers the followers too, in order.
     */
    @Test
    void aRedeliveryStartedDuringABatchThatParkedFollowersKeepsTheOrder() throws Exception {
        // The next batch: A#2 is set aside (A is parked), X#0 blocks until the redelivery has started, then A#3.
        InvokerFixture f = parkAAndStoreOneBatch(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10),
                                                 "A", "X", "A");
        CountDownLatch xEntered = new CountDownLatch(1);
        CountDownLatch redeliveryCalled = new CountDownLatch(1);
        AtomicBoolean redeliveryEndedBeforeBatch = new AtomicBoolean();
        AtomicReference<RedeliveryResult> result = new AtomicReference<>();
        f.handler.hook = (event, redelivery) -> {
            if (!redelivery && event.key().equals("X#0")) {
                xEntered.countDown();
                awaitLatch(redeliveryCalled);
                try {
                    // Give the redelivery time to reach the sequence this batch holds.
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                redeliveryEndedBeforeBatch.set(result.get() != null);
            }
        };
        f.start(f.options);
        assertThat(xEntered.await(30, TimeUnit.SECONDS)).isTrue();
        Thread redeliverer = new Thread(() -> {
            redeliveryCalled.countDown();
            result.set(f.redeliverer().redeliver(GROUP, f.key("A")));
        });
        redeliverer.start();
        redeliverer.join(60_000);

        assertThat(result.get().outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        eventually().untilAsserted(() -> assertThat(f.projected("A")).hasSize(4));
        eventually().until(f::tokensAtHead);
        assertThat(f.projected("A")).as("each event once, in order").containsExactly(0L, 1L, 2L, 3L);
        int redelivered = result.get().redelivered();
        List<Boolean> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            expected.add(i < redelivered);
        }
        // 2: the redelivery drained the two letters first, the batch found A drained and handled A#2, A#3 live;
        // 4: the redelivery waited for the batch's appends and redelivered them too.
        assertThat(redelivered).isIn(2, 4);
        if (redeliveryEndedBeforeBatch.get()) {
            assertThat(redelivered).as("drained while the batch held its followers back").isEqualTo(2);
        }
        assertThat(f.redeliveredFlags("A")).containsExactlyElementsOf(expected);
        assertThat(f.store.size(GROUP)).isZero();
    }

    /**
     * The redelivery drains a sequence while a live batch, finding it drained, handles a newer event of it, which
     * fails and starts the sequence anew, not committed yet. When the redelivery then reports the drain, this node
     * must not forget that the sequence is parked again: the next event must be parked, not handled.
     */
    @Test
    void aSequenceRestartedByALiveFailureDuringTheDrainStaysParked() throws Exception {
        CountDownLatch lastLetterRedelivered = new CountDownLatch(1);
        CountDownLatch restartedNotCommitted = new CountDownLatch(1);
        CountDownLatch letLiveBatchCommit = new CountDownLatch(1);
        DeadLetterObserver observer = new DeadLetterObserver() {
            @Override
            public void redelivered(String processingGroup, EventMessage<?> event) {
                if (((ThingHappened) event.getPayload()).key().equals("A#1")) {
                    // The drain of A#1 is committed; hold the redelivery before it looks for a next letter.
                    lastLetterRedelivered.countDown();
                    awaitLatch(restartedNotCommitted);
                }
            }
        };
        // The next batch: G#0 waits until A is drained (but not reported), then A#2 is set aside, then X#0.
        InvokerFixture f = parkAAndStoreOneBatch(
                Options.of(ProcessorType.TRACKING).segments(1).batchSize(10).observer(observer), "G", "A", "X");
        f.handler.hook = (event, redelivery) -> {
            if (redelivery) {
                return;
            }
            switch (event.key()) {
                case "G#0" -> awaitLatch(lastLetterRedelivered);
                case "A#2" -> throw new IllegalStateException("A#2 fails live");
                // Runs at prepare-commit after the invoker handled (and dead-lettered) the set-aside A#2.
                case "X#0" -> CurrentUnitOfWork.get().onPrepareCommit(u -> {
                    restartedNotCommitted.countDown();
                    awaitLatch(letLiveBatchCommit);
                });
                default -> {
                }
            }
        };
        f.start(f.options);

        ExecutorService redeliveryThread = Executors.newSingleThreadExecutor();
        try {
            counting.reset();
            Future<RedeliveryResult> redelivery =
                    redeliveryThread.submit(() -> f.redeliverer().redeliver(GROUP, f.key("A")));
            // The redelivery finds A empty (A#2's new letter is not committed), reports the drain, then releases its
            // lease: wait for that statement before letting the live batch commit.
            eventually().until(() -> counting.countMatching("SET claim_owner = NULL") > 0);
            letLiveBatchCommit.countDown();
            RedeliveryResult result = redelivery.get(30, TimeUnit.SECONDS);
            assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
            assertThat(result.redelivered()).isEqualTo(2);
        } finally {
            lastLetterRedelivered.countDown();
            restartedNotCommitted.countDown();
            letLiveBatchCommit.countDown();
            redeliveryThread.shutdownNow();
        }
        eventually().untilAsserted(() -> {
            assertThat(f.projected("X")).containsExactly(0L);
            assertThat(f.sequenceSize("A")).isEqualTo(1);
        });
        assertThat(f.handler.batchOf.get("A#2")).as("one batch").isEqualTo(f.handler.batchOf.get("G#0"))
                                                .isEqualTo(f.handler.batchOf.get("X#0"));
        assertThat(f.letters("A").get(0).attempts()).isEqualTo(3);

        f.publish(List.of(f.next("A"), f.next("X")));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("X")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        assertThat(f.handler.invocations("A#3")).as("parked behind A#2, not handled").isZero();
        assertThat(f.projected("A")).containsExactly(0L, 1L);
        assertThat(f.letters("A")).extracting(StoredLetter::parked).containsExactly(false, true);
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // --- 9. statement counts ------------------------------------------------------------------------------------

    @Test
    void unparkedEventsCostNoDeadLetterStatementsAndAtMostOneSavepointPerBatchAndParkedFollowersOneBatchPerBatch() {
        AtomicInteger savepoints = new AtomicInteger();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).batchSize(10).savepoints(ds -> {
            JdbcSavepoints delegate = new JdbcSavepoints(ds);
            return () -> {
                savepoints.incrementAndGet();
                return delegate.create();
            };
        }));
        // Warm-up: park one sequence and handle events in both segments, which primes both parked sets.
        f.handler.faults.poisoned.add("P");
        f.publishRounds(1, "P");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("P")).isEqualTo(1));
        String[] healthy = new String[20];
        for (int i = 0; i < healthy.length; i++) {
            healthy[i] = "H" + i;
        }
        assertThat(java.util.Arrays.stream(healthy).map(h -> h.hashCode() & 1).distinct().count())
                .as("healthy aggregates cover both segments").isEqualTo(2);
        f.publishRounds(1, healthy);
        eventually().untilAsserted(() -> assertThat(f.projectionRows()).isEqualTo(20));
        eventually().until(f::tokensAtHead);

        counting.reset();
        savepoints.set(0);
        f.publishRounds(10, healthy);
        eventually().untilAsserted(() -> assertThat(f.projectionRows()).isEqualTo(220));
        eventually().until(f::tokensAtHead);
        int unparkedDlqStatements = counting.countMatching("axon_dlq_");
        int unparkedRoundTrips = counting.count();
        int unparkedSavepoints = savepoints.get();
        int wireSavepoints = counting.savepoints();
        int wireReleases = counting.savepointReleases();
        int commits = counting.commits();

        counting.reset();
        savepoints.set(0);
        List<EventMessage<?>> followers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            followers.add(f.next("P"));
        }
        f.publish(followers);
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("P")).isEqualTo(51));
        eventually().until(f::tokensAtHead);
        List<CountingDataSource.Execution> dlq = counting.executions().stream()
                                                         .filter(e -> e.sql().toLowerCase().contains("axon_dlq_"))
                                                         .toList();
        int parkedRoundTrips = dlq.size();
        int parkedCommits = counting.commits();
        int parkedStatements = dlq.stream().mapToInt(e -> e.batch() ? e.batchSize() : 1).sum();

        System.out.printf("[statement counts, %s] unparked path: %d events, %d statements on axon_dlq_ tables "
                                  + "(%.2f per event); all round trips incl. projection insert and token update: "
                                  + "%d (%.2f per event); SAVEPOINT %d, RELEASE %d on the wire for %d committed "
                                  + "transactions (checkpoints requested: %d)%n",
                          database, 200, unparkedDlqStatements, unparkedDlqStatements / 200.0, unparkedRoundTrips,
                          unparkedRoundTrips / 200.0, wireSavepoints, wireReleases, commits, unparkedSavepoints);
        System.out.printf("[statement counts, %s] parked path: %d followers, %d round trips on axon_dlq_ tables "
                                  + "(%d batched), %d statements (%.2f per follower); all round trips: %d%n",
                          database, 50, parkedRoundTrips, dlq.stream().filter(CountingDataSource.Execution::batch).count(),
                          parkedStatements, parkedStatements / 50.0, counting.count());

        dlq.stream().collect(java.util.stream.Collectors.groupingBy(
                   e -> (e.batch() ? "batch of " + e.batchSize() + ": " : "single: ")
                           + e.sql().substring(0, Math.min(90, e.sql().length())),
                   java.util.TreeMap::new, java.util.stream.Collectors.counting()))
           .forEach((sql, n) -> System.out.printf("[statement counts, %s]   %3d x %s%n", database, n, sql));

        assertThat(unparkedDlqStatements).isZero();
        assertThat(unparkedSavepoints).as("at most one checkpoint per committed batch").isPositive()
                                      .isLessThanOrEqualTo(commits);
        if (database == TestDatabase.POSTGRES) {
            // The checkpoint is taken at a batch's first event, before its transaction ran a statement.
            assertThat(wireSavepoints).as("no SAVEPOINT on the wire: checkpoints at the transaction's start")
                                      .isZero();
        } else {
            assertThat(wireSavepoints).as("one SAVEPOINT per checkpoint").isEqualTo(unparkedSavepoints);
        }
        assertThat(wireReleases).as("no RELEASE per event").isZero();
        assertThat(parkedStatements).as("one append per parked follower").isEqualTo(50);
        assertThat(parkedRoundTrips).as("the followers of a batch appended together: one round trip per batch")
                                    .isLessThanOrEqualTo(parkedCommits).isLessThanOrEqualTo(10);
        assertThat(dlq).allSatisfy(e -> assertThat(e.sql()).containsIgnoringCase("INSERT INTO axon_dlq_letter"));
        assertThat(f.handler.invocations("P#1")).isZero();
    }

    // --- 10. wiring refusals ------------------------------------------------------------------------------------

    @Test
    void subscribingProcessorForAnEnabledGroupIsRefusedAtStartUp() {
        Configuration config = fixture.build(Options.of(ProcessorType.SUBSCRIBING));

        assertThatThrownBy(config::start)
                .satisfies(e -> assertThat(messages(e)).anySatisfy(m -> assertThat(m)
                        .contains("Processing group [projection]")
                        .contains("subscribing processor [projector]")
                        .contains("tracking or pooled streaming")));
    }

    @Test
    void axonBuiltInDeadLetterQueueAndThisOneForTheSameGroupFailAtStartUp() {
        Configuration config = fixture.build(Options.of(ProcessorType.POOLED).customizer(
                ep -> ep.registerDeadLetterQueue(GROUP, c -> InMemorySequencedDeadLetterQueue.<EventMessage<?>>defaultQueue())));

        assertThatThrownBy(config::start)
                .satisfies(e -> assertThat(messages(e)).anySatisfy(m -> assertThat(m)
                        .contains("Processing group [projection]")
                        .contains("built-in dead-letter queue")
                        .contains("registerDeadLetterQueue(\"projection\"")));
    }

    private static List<String> messages(Throwable e) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return messages;
    }

    @Test
    void checkpointIsolationRollsBackReRunsTheBatchAndIsolatesTheFailureWithoutAProcessorReplay() {
        InvokerFixture f = fixture;
        f.handler.faults.insertThenThrow.add("A");
        // One batch (stored before the processor starts): B0 is handled before the checkpoint is rolled back, so it
        // is re-run once; A0 is isolated.
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B"), f.next("A")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.projected("A")).as("no partial writes").isEmpty();
        StoredLetter head = f.letters("A").get(0);
        assertThat(head.attempts()).isEqualTo(3);
        assertThat(f.store.attempts(head.id())).extracting(AttemptRecord::attempt).containsExactly(1, 2, 3);
        assertThat(f.handler.invocations("A#0")).as("3 attempts, no processor replay").isEqualTo(3);
        assertThat(f.handler.invocations("B#0")).as("handled, then re-run once after the rollback").isEqualTo(2);
        assertThat(f.handler.invocations("B#1")).as("after the new checkpoint: never re-run").isEqualTo(1);
        assertThat(f.handler.batchOf.get("B#0")).as("one batch").isEqualTo(f.handler.batchOf.get("B#1"));
        assertThat(f.letters("A").get(1).parked()).isTrue();
    }

    /**
     * Interceptors that write before calling their chain, as an inbox (a row per event, unique) or a transactional
     * deduplication (skip an event whose row exists) does. The batch's checkpoint is taken before any of them runs,
     * so the rollback undoes B0's row with B0 and the re-run writes it again: one row per event, B0 applied once.
     * Before, the checkpoint came after B0's interceptors: the inbox's re-run hit its own row (a duplicate key, the
     * batch replayed forever, A0 never dead-lettered) and the deduplication skipped B0's re-run (B0 lost).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"inbox", "deduplication"})
    void interceptorsThatWriteBeforeProceedingWriteOnceAndLoseNothingWhenTheBatchRollsBackToItsCheckpoint(
            String kind) {
        InvokerFixture f = fixture;
        f.jdbc.execute("CREATE TABLE IF NOT EXISTS inbox (k VARCHAR(100) PRIMARY KEY)");
        f.jdbc.execute("DELETE FROM inbox");
        JdbcTemplate tx = new JdbcTemplate(f.dataSource);
        MessageHandlerInterceptor<EventMessage<?>> writesFirst = (unitOfWork, chain) -> {
            String key = ((ThingHappened) unitOfWork.getMessage().getPayload()).key();
            if (kind.equals("deduplication")
                    && tx.queryForObject("SELECT COUNT(*) FROM inbox WHERE k = ?", Integer.class, key) > 0) {
                return null;
            }
            tx.update("INSERT INTO inbox (k) VALUES (?)", key);
            return chain.proceed();
        };
        f.handler.faults.poisoned.add("A");
        // One batch: B0 takes the checkpoint, A0 fails, the rollback undoes B0 and B0 is re-run.
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10)
                       .customizer(ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> writesFirst)));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(1);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("B#0")).as("handled, then re-run after the rollback").isEqualTo(2);
        assertThat(f.handler.batchOf.get("B#0")).as("one batch").isEqualTo(f.handler.batchOf.get("B#1"));
        assertThat(f.jdbc.queryForList("SELECT k FROM inbox ORDER BY k", String.class))
                .as("one row per event: A0's went with its rollback").containsExactly("B#0", "B#1");
    }

    /**
     * An event that succeeded, then fails on its re-run after a checkpoint rollback (a non-deterministic handler), is
     * isolated even when the processor has an interceptor that catches what its chain throws: the re-run passes
     * through the interceptors, the processor's own event does not, and both must end the same way. Before, the
     * interceptor hid the isolation request: B0's first run was rolled back, its re-run counted as handled, and B0
     * was neither projected nor dead-lettered.
     */
    @Test
    void anEventFailingOnItsReRunIsIsolatedAlthoughAnInterceptorCatchesWhatItsChainThrows() {
        InvokerFixture f = fixture;
        AtomicInteger caught = new AtomicInteger();
        MessageHandlerInterceptor<EventMessage<?>> logAndGoOn = (unitOfWork, chain) -> {
            try {
                return chain.proceed();
            } catch (Exception e) {
                caught.incrementAndGet();
                return null;
            }
        };
        f.handler.faults.insertThenThrow.add("A");
        f.handler.hook = (event, redelivery) -> {
            if (event.key().equals("B#0") && f.handler.invocations("B#0") == 2) {
                throw new IllegalStateException("B#0 fails on its re-run only");
            }
        };
        // One batch: B0 is handled, A0 fails, the rollback undoes B0 and its re-run fails.
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B"), f.next("A")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10)
                       .customizer(ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> logAndGoOn)));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        assertThat(caught).as("the interceptor caught B0's failing re-run").hasPositiveValue();
        assertThat(f.handler.invocations("B#0")).as("run, failing re-run, isolated attempt").isEqualTo(3);
        assertThat(f.sequenceSize("B")).isZero();
        assertThat(f.projected("A")).isEmpty();
    }

    /**
     * The processor's handler interceptors run again for an event re-run after a checkpoint rollback: the rollback
     * undid what they wrote (here: an audit row after the handlers), and handlers may depend on what they set up
     * (here: a context naming the event, like a tenant). Each event keeps exactly one audit row, and every
     * invocation of B0, the re-run included, sees B0's own context.
     */
    @Test
    void anEventReRunAfterACheckpointRollbackGoesThroughTheProcessorsInterceptorsAgain() {
        InvokerFixture f = fixture;
        f.jdbc.execute("CREATE TABLE IF NOT EXISTS interceptor_audit (k VARCHAR(100) NOT NULL)");
        f.jdbc.execute("DELETE FROM interceptor_audit");
        ThreadLocal<String> context = new ThreadLocal<>();
        JdbcTemplate audit = new JdbcTemplate(f.dataSource);
        AtomicInteger rootRuns = new AtomicInteger();
        AtomicInteger nestedRuns = new AtomicInteger();
        MessageHandlerInterceptor<EventMessage<?>> interceptor = (unitOfWork, chain) -> {
            String key = ((ThingHappened) unitOfWork.getMessage().getPayload()).key();
            (unitOfWork.isRoot() ? rootRuns : nestedRuns).incrementAndGet();
            String outer = context.get();
            context.set(key);
            try {
                Object result = chain.proceed();
                audit.update("INSERT INTO interceptor_audit (k) VALUES (?)", key);
                return result;
            } finally {
                context.set(outer);
            }
        };
        List<String> seenByB0 = new CopyOnWriteArrayList<>();
        f.handler.hook = (event, redelivery) -> {
            if (event.key().equals("B#0")) {
                seenByB0.add(String.valueOf(context.get()));
            }
        };
        f.handler.faults.insertThenThrow.add("A");
        // One batch: B0 is handled before A0 fails, so the rollback to the checkpoint undoes it and it is re-run.
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B"), f.next("A")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10)
                       .customizer(ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> interceptor)));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("B#0")).as("handled, then re-run once").isEqualTo(2);
        assertThat(rootRuns).as("the processor delivered each event once").hasValue(4);
        assertThat(nestedRuns).as("B0's re-run went through the interceptor").hasValue(1);
        assertThat(seenByB0).containsExactly("B#0", "B#0");
        assertThat(f.jdbc.queryForList("SELECT k FROM interceptor_audit ORDER BY k", String.class))
                .as("one audit row per event: B0's first one went with the rollback, its re-run wrote it again")
                .containsExactly("A#0", "A#1", "B#0", "B#1");
    }

    /**
     * A handler catches a database error and returns normally. On PostgreSQL its transaction is then aborted: every
     * later statement of the batch (the next event's, the token update) would fail, and so would every replay of the
     * batch, forever. The event whose handler did it is the failure instead: dead-lettered after its attempts with
     * {@link TransactionAbortedException}, the rest of the batch commits. H2 does not abort the transaction on an
     * error: there the event simply counts as handled.
     */
    @Test
    void aHandlerThatSwallowsADatabaseErrorFailsItsOwnEventInsteadOfStallingTheSegment() {
        InvokerFixture f = fixture;
        f.jdbc.update("INSERT INTO unique_guard (k) VALUES ('taken')");
        f.handler.faults.swallowedUniqueViolation.add("S#0");
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("S"), f.next("B"), f.next("S")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10));

        eventually().untilAsserted(() -> assertThat(f.projected("B")).containsExactly(0L, 1L));
        eventually().until(f::tokensAtHead);
        if (database == TestDatabase.POSTGRES) {
            assertThat(f.sequenceSize("S")).isEqualTo(2);
            StoredLetter head = f.letters("S").get(0);
            assertThat(head.attempts()).isEqualTo(3);
            assertThat(head.cause()).hasValueSatisfying(
                    c -> assertThat(c.type()).isEqualTo(TransactionAbortedException.class.getName()));
            assertThat(f.projected("S")).as("the aborted attempts' rows rolled back").isEmpty();
        } else {
            assertThat(f.sequenceSize("S")).isZero();
            assertThat(f.projected("S")).containsExactly(0L, 1L);
        }
    }

    @Test
    void savepointPerAttemptIsolationNeverReRunsAnotherEvent() {
        InvokerFixture f = fixture;
        f.handler.faults.insertThenThrow.add("A");
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B"), f.next("A")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10)
                       .settings(InvokerFixture.perAttempt(InvokerFixture.fastRetry(3).build())));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        assertThat(f.projected("A")).as("no partial writes").isEmpty();
        assertThat(f.handler.invocations("A#0")).isEqualTo(3);
        assertThat(f.handler.invocations("B#0")).isEqualTo(1);
    }

    /** What a handler publishes from an event handler: queued in the batch's unit of work, stored at commit. */
    record Derived(String from) {
    }

    /**
     * A handler publishes an event through Axon's event bus while handling: a failed attempt's publications must
     * go with its writes (I3), and an event re-run after a rollback to the checkpoint must not publish twice.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(DeadLetteringEventHandlerInvoker.Isolation.class)
    void eventsPublishedByAFailedAttemptOrARolledBackRunAreNotPublished(
            DeadLetteringEventHandlerInvoker.Isolation isolation) {
        InvokerFixture f = fixture;
        f.handler.faults.insertThenThrow.add("A");
        f.handler.hook = (event, redelivery) -> f.config.eventBus().publish(
                org.axonframework.eventhandling.GenericEventMessage.asEventMessage(new Derived(event.key())));
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B")));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10).settings(new GroupSettings(
                InvokerFixture.fastRetry(3).build(), isolation, false)));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(1);
        });
        assertThat(f.handler.invocations("A#0")).isEqualTo(3);
        assertThat(f.handler.batchOf.get("B#0")).as("one batch").isEqualTo(f.handler.batchOf.get("B#1"));
        List<String> derived = f.storageEngine.readEvents(null, false)
                                              .map(e -> e.getPayload())
                                              .filter(Derived.class::isInstance)
                                              .map(d -> ((Derived) d).from())
                                              .sorted()
                                              .toList();
        assertThat(derived).as("published once per applied event, never for a failed attempt")
                           .containsExactly("B#0", "B#1");
    }

    // --- 11. no savepoints --------------------------------------------------------------------------------------

    @Test
    void withoutSavepointsAPoisonEventIsStillDeadLetteredAndNothingPartialCommits() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).savepoints(ds -> Savepoints.NONE));
        f.handler.faults.insertThenThrow.add("A");

        f.publishRounds(3, "A", "B", "C");

        awaitPoisonedAWhileBAndCFlow(f, Duration.ofSeconds(60));
        assertThat(f.handler.invocations("A#0")).as("not invoked again once the policy gave up").isEqualTo(3);
        for (String aggregate : List.of("B", "C")) {
            assertThat(f.projected(aggregate)).as("projected once").hasSize(3);
        }
    }
}
