package io.axondlq.core;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.ProjectionHandler.Invocation;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.config.ProcessingGroupTaggingInterceptor;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.axondlq.core.DeadLetteringEventHandlerInvoker.PROCESSING_GROUP_RESOURCE;
import static io.axondlq.core.InvokerFixture.GROUP;
import static io.axondlq.core.InvokerFixture.PROCESSOR;
import static io.axondlq.core.config.ProcessingGroupTaggingInterceptor.CORRELATION_ID_RESOURCE;
import static io.axondlq.core.config.ProcessingGroupTaggingInterceptor.PROCESSOR_RESOURCE;
import static io.axondlq.core.config.ProcessingGroupTaggingInterceptor.TRACE_ID_RESOURCE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The invoker's remaining behaviour end to end, on the same fixture as {@link DeadLetteringInvokerIntegrationTest}:
 * processor reset, correlation/trace ids and unit-of-work tagging, the skip decision, the dead-letter handler
 * parameter, running without a transaction manager, the observer's callbacks, and an unreadable letter on
 * redelivery. Written once, subclassed per database.
 */
abstract class DeadLetteringInvokerFeaturesIntegrationTest extends InvokerTestBase {

    private static GroupSettings settings(boolean clearOnReset) {
        return new GroupSettings(InvokerFixture.fastRetry(3).build(),
                                 DeadLetteringEventHandlerInvoker.Isolation.SAVEPOINT_PER_ATTEMPT, clearOnReset);
    }

    private static String key(EventMessage<?> event) {
        return ((ThingHappened) event.getPayload()).key();
    }

    // --- 1. reset -----------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}, clearOnReset={1}")
    @CsvSource({"POOLED, false", "POOLED, true", "TRACKING, false", "TRACKING, true"})
    void aProcessorResetKeepsOrClearsTheGroupsLettersPerConfiguration(ProcessorType type, boolean clearOnReset) {
        RecordingObserver observer = new RecordingObserver();
        InvokerFixture f = fixture.start(Options.of(type).settings(settings(clearOnReset)).observer(observer));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(2, "A", "B");
        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        List<UUID> before = f.letters("A").stream().map(StoredLetter::id).toList();
        // Fixed meanwhile: only the kept letters can keep A's replayed events out.
        f.handler.faults.clear();

        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(DeadLetteringEventHandlerInvoker.class)) {
            StreamingEventProcessor processor = f.processor();
            processor.shutDown();
            processor.resetTokens();
            processor.start();
            logged = log.events();
        }

        assertThat(f.handler.resets).as("the projection's reset handler ran").hasValue(1);
        List<String> warnings = logged.stream().filter(e -> e.getLevel() == Level.WARN)
                                      .map(ILoggingEvent::getFormattedMessage).toList();
        if (clearOnReset) {
            eventually().untilAsserted(() -> {
                assertThat(f.projected("A")).containsExactly(0L, 1L);
                assertThat(f.projected("B")).containsExactly(0L, 1L);
            });
            eventually().until(f::tokensAtHead);
            assertThat(f.store.size(GROUP)).isZero();
            assertThat(f.store.contains(GROUP, f.key("A"))).isFalse();
            assertThat(before).allSatisfy(id -> assertThat(f.store.letter(id)).isEmpty());
            assertThat(observer.matching("evicted")).containsExactly("evicted projection 2 reset");
            assertThat(warnings).noneMatch(m -> m.contains("keeps its dead letters"));
        } else {
            eventually().untilAsserted(() -> assertThat(f.projected("B")).containsExactly(0L, 1L));
            eventually().until(f::tokensAtHead);
            List<StoredLetter> letters = f.letters("A");
            assertThat(letters).extracting(StoredLetter::id).containsExactlyElementsOf(before);
            assertThat(letters.get(0).attempts()).as("the kept letter is unchanged").isEqualTo(3);
            // The replayed events are the kept letters already (one letter per event): neither handled nor stored
            // again.
            assertThat(letters).extracting(StoredLetter::parked).containsExactly(false, true);
            assertThat(letters).extracting(l -> key(l.message())).containsExactly("A#0", "A#1");
            assertThat(f.sequenceSize("A")).isEqualTo(2);
            assertThat(f.projected("A")).isEmpty();
            assertThat(f.handler.invocations("A#0")).isEqualTo(3);
            assertThat(f.handler.invocations("A#1")).isZero();
            assertThat(observer.matching("evicted")).isEmpty();
            assertThat(warnings).anySatisfy(m -> assertThat(m).contains("Processor reset")
                                                            .contains("[" + GROUP + "] keeps its dead letters"));
        }
    }

    /**
     * The README's first step: with the defaults a handler that keeps failing is tried 3 times, then the log says
     * "Processing group [orders] dead-lettered event [...] of sequence [o1] after 3 attempt(s):
     * java.lang.IllegalStateException: ..." (here the fixture's group and aggregate).
     */
    @Test
    void withTheDefaultsAPoisonEventIsTriedThreeTimesAndItsDeadLetteringIsLoggedAsTheReadmeShows() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).settings(GroupSettings.DEFAULT));
        List<ILoggingEvent> logged;
        try (LogCapture log = LogCapture.of(DeadLetteringEventHandlerInvoker.class)) {
            f.handler.faults.poisoned.add("o1");
            EventMessage<?> poison = f.next("o1");
            f.publish(List.of(poison));
            eventually().untilAsserted(() -> assertThat(f.sequenceSize("o1")).isEqualTo(1));
            logged = log.events();
            assertThat(f.handler.invocations("o1#0")).as("attempts").isEqualTo(3);
            assertThat(f.key("o1")).isEqualTo("o1");
            assertThat(logged).filteredOn(e -> e.getLevel() == Level.WARN)
                              .extracting(ILoggingEvent::getFormattedMessage)
                              .containsExactly("Processing group [" + GROUP + "] dead-lettered event ["
                                                       + poison.getIdentifier() + "] of sequence [o1] after 3 "
                                                       + "attempt(s): java.lang.IllegalStateException: poisoned o1#0");
        }
        f.handler.faults.clear();
    }

    // --- 2. correlation / trace ids and unit-of-work tagging ----------------------------------------------------

    @Test
    void lettersCarryCorrelationAndTraceIdsAndHandlersSeeTheTaggingResources() {
        // One batch (events stored before the processor starts, one segment): the batch's unit of work and its
        // resources are shared by all its events, so C#0 (no ids) would see B#0's if the interceptor left them.
        List<EventMessage<?>> events = List.of(
                fixture.next("A", Map.of("correlationId", "corr-A0", "traceId", "trace-A0")),
                fixture.next("B", Map.of("correlationId", "corr-B0", "traceId", "trace-B0")),
                fixture.next("A", Map.of("correlationId", "corr-A1", "traceId", "trace-A1")),
                fixture.next("C"));
        fixture.storageEngine.appendEvents(events);
        fixture.handler.faults.poisoned.add("A");

        InvokerFixture f = fixture.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(50));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L);
            assertThat(f.projected("C")).containsExactly(0L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        List<StoredLetter> letters = f.letters("A");
        assertThat(letters.get(0).parked()).isFalse();
        assertThat(letters.get(0).correlationId()).hasValue("corr-A0");
        assertThat(letters.get(0).traceId()).hasValue("trace-A0");
        assertThat(letters.get(1).parked()).as("a parked follower").isTrue();
        assertThat(letters.get(1).correlationId()).hasValue("corr-A1");
        assertThat(letters.get(1).traceId()).hasValue("trace-A1");
        assertThat(f.handler.batchOf.get("B#0")).as("one batch").isEqualTo(f.handler.batchOf.get("C#0"));

        assertThat(f.handler.calls("B#0")).singleElement().satisfies(call -> assertThat(call.resources())
                .containsEntry(PROCESSOR_RESOURCE, PROCESSOR)
                .containsEntry(PROCESSING_GROUP_RESOURCE, GROUP)
                .containsEntry(CORRELATION_ID_RESOURCE, "corr-B0")
                .containsEntry(TRACE_ID_RESOURCE, "trace-B0"));
        assertThat(f.handler.calls("C#0")).singleElement().satisfies(call -> assertThat(call.resources())
                .containsEntry(PROCESSOR_RESOURCE, PROCESSOR)
                .containsEntry(PROCESSING_GROUP_RESOURCE, GROUP)
                .as("no ids left over from the batch's previous event")
                .doesNotContainKeys(CORRELATION_ID_RESOURCE, TRACE_ID_RESOURCE));
        assertThat(f.handler.calls("A#0")).hasSize(3).allSatisfy(call -> assertThat(call.resources())
                .containsEntry(CORRELATION_ID_RESOURCE, "corr-A0")
                .containsEntry(TRACE_ID_RESOURCE, "trace-A0"));

        // Redelivery runs through the processor's interceptors: the same resources, from the letter's event.
        f.handler.faults.clear();
        assertThat(f.redeliverer().redeliver(GROUP, f.key("A")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.handler.calls("A#1")).singleElement().satisfies(call -> assertThat(call.resources())
                .containsEntry(PROCESSOR_RESOURCE, PROCESSOR)
                .containsEntry(PROCESSING_GROUP_RESOURCE, GROUP)
                .containsEntry(CORRELATION_ID_RESOURCE, "corr-A1")
                .containsEntry(TRACE_ID_RESOURCE, "trace-A1"));
        assertThat(ProcessingGroupTaggingInterceptor.CORRELATION_ID_KEY).isEqualTo("correlationId");
    }

    // --- 3. skip decision ---------------------------------------------------------------------------------------

    @Test
    void aSkippedEventIsDroppedWithoutParkingItsSequence() {
        RecordingObserver observer = new RecordingObserver();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).observer(observer).settings(
                InvokerFixture.settings(InvokerFixture.fastRetry(3).skip(List.of(IgnorableFailure.class)).build())));
        f.handler.faults.failWith.put("A#1", () -> new IgnorableFailure("ignore A#1"));

        f.publishRounds(3, "A", "B");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("A")).containsExactly(0L, 2L);
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("A#1")).as("skipped at its first failure").isEqualTo(1);
        assertThat(f.store.size(GROUP)).isZero();
        assertThat(f.store.contains(GROUP, f.key("A"))).as("sequence not parked").isFalse();
        // reported once the batch committed, just after its token moved
        eventually().untilAsserted(() -> assertThat(observer.events())
                .containsExactly("skipped A#1 " + IgnorableFailure.class.getSimpleName()));
    }

    // --- 4. the DeadLetter handler parameter --------------------------------------------------------------------

    @Test
    void aDeadLetterParameterIsNullLiveAndTheLetterOnRedelivery() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(2, "A", "B");
        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        List<StoredLetter> letters = f.letters("A");

        f.handler.faults.clear();
        assertThat(f.redeliverer().redeliver(GROUP, f.key("A")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);

        assertThat(f.handler.calls("B#0")).extracting(Invocation::letter).hasSize(1).containsOnlyNulls();
        List<Invocation> a0 = f.handler.calls("A#0");
        assertThat(a0).hasSize(4);
        assertThat(a0.subList(0, 3)).as("live attempts").extracting(Invocation::letter).containsOnlyNulls();
        assertRedeliveredAs(a0.get(3), letters.get(0));
        assertThat(f.handler.calls("A#1")).singleElement().satisfies(call -> assertRedeliveredAs(call, letters.get(1)));

        // Live again afterwards: no letter.
        f.publishRounds(1, "A");
        eventually().untilAsserted(() -> assertThat(f.projected("A")).containsExactly(0L, 1L, 2L));
        assertThat(f.handler.calls("A#2")).extracting(Invocation::letter).hasSize(1).containsOnlyNulls();
    }

    private static void assertRedeliveredAs(Invocation call, StoredLetter expected) {
        assertThat(call.letter()).isInstanceOfSatisfying(StoredLetter.class, letter -> {
            assertThat(letter.id()).isEqualTo(expected.id());
            assertThat(letter.message().getIdentifier()).isEqualTo(expected.message().getIdentifier());
        });
    }

    // --- 5. no transaction manager ------------------------------------------------------------------------------

    /**
     * Without a transaction manager Axon uses its {@code NoTransactionManager}: every statement commits on its own
     * (auto-commit), and {@code JdbcSavepoints} finds no transaction to take savepoints in. The invoker then
     * retries in place, since a batch replay would undo nothing and only apply the batch's earlier events again.
     * <p>
     * I1 holds: the poison event is dead-lettered (in a short transaction of the store's own) and its followers
     * parked, while every other event is projected, exactly once. I3 cannot hold here: "no partial effects" needs a
     * transaction to roll back, so whatever a failed attempt wrote stays committed (D's rows below, one per attempt).
     * Handlers in such a setup must be idempotent or write nothing before they can fail.
     */
    @Test
    void withoutATransactionManagerAPoisonEventIsStillDeadLetteredAndOthersProjectedOnce() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).withoutTransactionManager());
        assertThat(f.config.eventProcessingConfiguration().transactionManager(PROCESSOR))
                .isInstanceOf(NoTransactionManager.class);
        f.handler.faults.poisoned.add("A");
        f.handler.faults.insertThenThrow.add("D");

        f.publishRounds(3, "A", "B", "C", "D");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("C")).containsExactly(0L, 1L, 2L);
            assertThat(f.sequenceSize("A")).isEqualTo(3);
            assertThat(f.sequenceSize("D")).isEqualTo(3);
        });
        eventually().until(f::tokensAtHead);
        List<StoredLetter> letters = f.letters("A");
        assertThat(letters).extracting(StoredLetter::attempts).containsExactly(3, 0, 0);
        assertThat(letters).extracting(StoredLetter::parked).containsExactly(false, true, true);
        assertThat(f.store.attempts(letters.get(0).id())).extracting(AttemptRecord::attempt).containsExactly(1, 2, 3);
        assertThat(f.handler.invocations("A#0")).isEqualTo(3);
        assertThat(f.handler.invocations("A#1") + f.handler.invocations("A#2")).isZero();
        for (String aggregate : List.of("B", "C")) {
            for (long seq = 0; seq < 3; seq++) {
                assertThat(f.handler.invocations(aggregate + "#" + seq)).as("no batch replay").isEqualTo(1);
            }
        }
        assertThat(f.projected("D")).as("not transactional: the failed attempts' writes stay (no I3)")
                                    .containsExactly(0L, 0L, 0L);
    }

    // --- 6. observer --------------------------------------------------------------------------------------------

    @Test
    void theObserverHearsEveryRetryDeadLetterParkAndRedeliveryExactlyOnce() {
        RecordingObserver observer = new RecordingObserver();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).observer(observer));
        f.handler.faults.poisoned.add("A");
        f.handler.faults.failTimes("B#1", 1);

        f.publishRounds(3, "A", "B");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
            assertThat(f.sequenceSize("A")).isEqualTo(3);
        });
        eventually().until(f::tokensAtHead);
        // letters and parks are reported once their batch committed, just after it became visible
        eventually().untilAsserted(() -> assertThat(observer.events()).containsExactlyInAnyOrder(
                "retried A#0 1", "retried A#0 2", "deadLettered A#0 3",
                "parked A#1", "parked A#2",
                "retried B#1 1"));
        assertThat(observer.matching("retried A#0")).as("in attempt order")
                                                   .containsExactly("retried A#0 1", "retried A#0 2");

        observer.clear();
        RedeliveryResult failed = f.redeliverer().redeliver(GROUP, f.key("A"));
        assertThat(failed.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(observer.events()).containsExactly("redeliveryFailed A#0");

        observer.clear();
        f.handler.faults.clear();
        RedeliveryResult drained = f.redeliverer().redeliver(GROUP, f.key("A"));
        assertThat(drained.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(observer.events()).containsExactly("redelivered A#0", "redelivered A#1", "redelivered A#2");
    }

    /**
     * Two axon-dlq groups in one processor: the other group's failure rolls the batch back to its checkpoint and the
     * isolation hands the failing event to BOTH groups again. What this group reported for that event before the
     * rollback (a park) must not be reported a second time.
     */
    @Test
    void inAProcessorOfTwoGroupsAnotherGroupsFailureDoesNotReportAnEventTwice() {
        List<String> reported = new CopyOnWriteArrayList<>();
        DeadLetterObserver observer = new DeadLetterObserver() {
            @Override
            public void retried(String group, EventMessage<?> event, Throwable cause, int failedAttempts) {
                reported.add(group + " retried " + key(event) + " " + failedAttempts);
            }

            @Override
            public void deadLettered(String group, EventMessage<?> event, Throwable cause, int attempts) {
                reported.add(group + " deadLettered " + key(event) + " " + attempts);
            }

            @Override
            public void parked(String group, EventMessage<?> event) {
                reported.add(group + " parked " + key(event));
            }
        };
        SecondGroupHandler second = new SecondGroupHandler();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).segments(1).observer(observer).customizer(
                ep -> ep.assignProcessingGroup(SecondGroupHandler.GROUP, PROCESSOR)
                        .registerEventHandler(c -> second)));
        assertThat(f.module.groups().processingGroups()).containsExactly(GROUP, SecondGroupHandler.GROUP);
        assertThat(f.module.groups().binding(SecondGroupHandler.GROUP).orElseThrow().processorName())
                .isEqualTo(PROCESSOR);
        // One batch enqueues for both groups: the module declared that, so their sequence starts lock in one order.
        assertThat(f.appStore.groupLockOrder(GROUP)).containsExactly(GROUP, SecondGroupHandler.GROUP);
        assertThat(f.appStore.groupLockOrder(SecondGroupHandler.GROUP)).containsExactly(GROUP, SecondGroupHandler.GROUP);
        f.handler.faults.poisoned.add("A");
        f.publishRounds(1, "A");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(1));
        eventually().until(f::tokensAtHead);
        reported.clear();

        // In one batch: B#0 handled by both groups; A#1 parked by "projection", then "second" fails on it once.
        second.failOnce.add("A#1");
        f.publishRounds(1, "B", "A", "C");

        eventually().untilAsserted(() -> {
            assertThat(f.projected("C")).containsExactly(0L);
            assertThat(second.handled).contains("C#0");
        });
        eventually().until(f::tokensAtHead);
        assertThat(second.attempts.get()).as("the second group's failure happened (and was isolated)").isGreaterThan(
                second.handled.size());
        assertThat(reported).containsExactlyInAnyOrder("projection parked A#1", "second retried A#1 1");
        assertThat(f.sequenceSize("A")).isEqualTo(2);
        // In memory, outside the transaction: a re-run shows there as an event seen again (documented).
        assertThat(second.handled.stream().distinct()).containsExactly("A#0", "B#0", "A#1", "C#0");
        assertThat(f.projected("B")).containsExactly(0L);
    }

    /**
     * Two axon-dlq groups in one processor, a parked sequence with two followers in one batch, and the other group
     * failing on the second: the rollback to the checkpoint re-defers the first follower, and the isolated second
     * one must not be appended before it (found in review: the isolation phase appended at once, so the letters
     * read A#0, A#2, A#1 and a redelivery would have applied A#2 first).
     */
    @Test
    void anIsolatedFollowerIsAppendedAfterTheFollowersDeferredBeforeIt() {
        SecondGroupHandler second = new SecondGroupHandler();
        RecordingObserver observer = new RecordingObserver();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).segments(1).observer(observer).customizer(
                ep -> ep.assignProcessingGroup(SecondGroupHandler.GROUP, PROCESSOR)
                        .registerEventHandler(c -> second)));
        // The processor decides where a batch ends: try aggregates until both followers shared one.
        boolean sharedABatch = false;
        for (int round = 0; round < 10 && !sharedABatch; round++) {
            String aggregate = "A" + round;
            f.handler.faults.poisoned.add(aggregate);
            f.publishRounds(1, aggregate);
            eventually().untilAsserted(() -> assertThat(f.sequenceSize(aggregate)).isEqualTo(1));
            eventually().until(f::tokensAtHead);

            second.failOnce.add(aggregate + "#2");
            f.publishRounds(2, aggregate);

            eventually().untilAsserted(() -> assertThat(second.handled).contains(aggregate + "#2"));
            eventually().until(f::tokensAtHead);
            assertThat(f.letters(aggregate)).extracting(l -> key(l.message()))
                                            .containsExactly(aggregate + "#0", aggregate + "#1", aggregate + "#2");
            assertThat(f.sequenceSize(aggregate)).isEqualTo(3);
            assertThat(f.projected(aggregate)).isEmpty();
            sharedABatch = second.batchOf.get(aggregate + "#1").equals(second.batchOf.get(aggregate + "#2"));
            if (sharedABatch) {
                assertThat(second.handled.stream().filter(k -> k.startsWith(aggregate + "#")))
                        .as("the failure was isolated: %s#1 re-run after the rollback", aggregate)
                        .containsExactly(aggregate + "#0", aggregate + "#1", aggregate + "#1", aggregate + "#2");
                assertThat(observer.matching("parked " + aggregate + "#")).as("each follower reported once")
                                   .containsExactly("parked " + aggregate + "#1", "parked " + aggregate + "#2");
            }
        }
        assertThat(sharedABatch).as("in some round both followers were in one batch").isTrue();
    }

    /**
     * A redelivery runs while the processor is reset (clear-on-reset): its letter's handler has written, and the reset
     * handler has cleared the projection, in the reset's open transaction. The letter must take effect once in the
     * rebuilt projection: the replay handles its event again, so the redelivery may not commit on top of the cleared
     * projection (it loses its lease to the reset's removal instead).
     */
    @Test
    void aRedeliveryRunningDuringAClearingResetIsNotAppliedOnTopOfTheReplay() throws Exception {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.TRACKING).settings(settings(true)));
        String key = f.park(1, "A").get(0);
        eventually().until(f::tokensAtHead);
        java.util.concurrent.CountDownLatch inHandler = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch projectionCleared = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch redeliveryEnded = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean endedInsideTheReset = new java.util.concurrent.atomic.AtomicBoolean();
        f.handler.hook = (event, redelivery) -> {
            if (redelivery) {
                inHandler.countDown();
                assertThat(projectionCleared.await(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            }
        };
        f.handler.afterReset = () -> {
            projectionCleared.countDown();
            // The redelivery may now try to commit while the reset's transaction is open; bounded, as it may have to
            // wait for this very transaction.
            endedInsideTheReset.set(redeliveryEnded.await(2, java.util.concurrent.TimeUnit.SECONDS));
        };
        StreamingEventProcessor processor = f.processor();
        processor.shutDown();
        java.util.concurrent.ExecutorService redeliveryThread = java.util.concurrent.Executors.newSingleThreadExecutor();
        RedeliveryResult result;
        try {
            java.util.concurrent.Future<RedeliveryResult> redelivery = redeliveryThread.submit(() -> {
                try {
                    return f.redeliverer().redeliver(GROUP, key);
                } finally {
                    redeliveryEnded.countDown();
                }
            });
            assertThat(inHandler.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("redelivery in its handler")
                                                                                 .isTrue();
            processor.resetTokens();
            result = redelivery.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            redeliveryThread.shutdownNow();
        }
        f.handler.hook = (event, redelivery) -> {
        };
        processor.start();
        eventually().until(f::tokensAtHead);
        eventually().untilAsserted(() -> assertThat(f.projected("A")).isNotEmpty());

        assertThat(f.handler.resets).hasValue(1);
        assertThat(f.handler.calls("A#0")).as("the redelivery's handler ran, during the reset")
                                         .filteredOn(c -> c.letter() != null).hasSize(1);
        assertThat(f.projected("A")).as("A#0 in the rebuilt projection (redelivery %s, ended inside the reset: %s)",
                                        result, endedInsideTheReset.get())
                                    .containsExactly(0L);
        assertThat(f.redeliveredFlags("A")).as("applied by the replay").containsExactly(false);
        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.LEASE_LOST);
        assertThat(endedInsideTheReset).as("the redelivery waited for the reset").isFalse();
        assertThat(f.store.size(GROUP)).isZero();
    }

    // --- 8. undeserializable letter -----------------------------------------------------------------------------

    @Test
    void anUnreadableLetterStopsTheRedeliveryUnchangedAndTheSequenceStaysParked() {
        RecordingObserver observer = new RecordingObserver();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).observer(observer));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(2, "A", "B");
        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        StoredLetter head = f.letters("A").get(0);
        assertThat(f.jdbc.update("UPDATE axon_dlq_letter SET payload_type = ? WHERE letter_id = ?",
                                 "com.example.NoSuchEvent", head.id())).isEqualTo(1);
        f.handler.faults.clear();
        observer.clear();

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.UNREADABLE);
        assertThat(result.stoppedAtLetterId()).isEqualTo(head.id());
        assertThat(result.redelivered()).isZero();
        assertThat(result.remaining()).isEqualTo(2);
        assertThat(result.failureType()).isEqualTo(UndeserializableLetterException.class.getName());
        assertThat(observer.events()).as("not a failed attempt").isEmpty();
        assertThat(f.handler.invocations("A#0")).as("never reached the handler").isEqualTo(3);
        StoredLetter after = f.store.letter(head.id()).orElseThrow();
        assertThat(after.attempts()).isEqualTo(head.attempts()).isEqualTo(3);
        assertThat(after.lastTouched()).isEqualTo(head.lastTouched());
        assertThat(after.cause()).hasValueSatisfying(c -> {
            assertThat(c.type()).isEqualTo(head.cause().orElseThrow().type());
            assertThat(c.message()).isEqualTo(head.cause().orElseThrow().message());
        });
        assertThat(after.sequenceIndex()).isEqualTo(head.sequenceIndex());
        assertThat(after.event().payloadType()).isEqualTo("com.example.NoSuchEvent");
        assertThat(f.store.attempts(head.id())).hasSize(3);
        assertThat(f.store.sequence(GROUP, f.key("A")))
                .hasValueSatisfying(s -> assertThat(s.claimedBy()).as("lease released").isNull());

        // Still parked: A's next event joins the sequence unhandled.
        f.publishRounds(1, "A", "B");
        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
            assertThat(f.sequenceSize("A")).isEqualTo(3);
        });
        assertThat(f.handler.invocations("A#2")).isZero();
        assertThat(f.projected("A")).isEmpty();
    }

    /**
     * The handlers succeed, then the letter's transaction fails to commit (a before-commit callback, as a deferred
     * constraint or a flush at commit would): nothing of it took effect, so the letter is a failed attempt, kept with
     * that cause, and the sequence stops there; its next redelivery applies it once.
     */
    @Test
    void aLetterWhoseTransactionFailsToCommitIsKeptAsAFailedAttemptWithNothingApplied() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        String key = f.park(2, "A").get(0);
        StoredLetter head = f.letters("A").get(0);
        java.util.concurrent.atomic.AtomicInteger refusedCommits = new java.util.concurrent.atomic.AtomicInteger();
        f.handler.hook = (event, redelivery) -> {
            if (redelivery) {
                org.springframework.transaction.support.TransactionSynchronizationManager.registerSynchronization(
                        new org.springframework.transaction.support.TransactionSynchronization() {
                            @Override
                            public void beforeCommit(boolean readOnly) {
                                refusedCommits.incrementAndGet();
                                throw new IllegalStateException("commit refused");
                            }
                        });
            }
        };

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, key);

        assertThat(refusedCommits).as("the handler ran and the commit was tried").hasValue(1);
        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(result.stoppedAtLetterId()).isEqualTo(head.id());
        assertThat(result.redelivered()).isZero();
        assertThat(result.remaining()).isEqualTo(2);
        assertThat(result.failureType()).isEqualTo(IllegalStateException.class.getName());
        assertThat(f.projected("A")).as("the handler's write rolled back").isEmpty();
        StoredLetter kept = f.store.letter(head.id()).orElseThrow();
        assertThat(kept.attempts()).isEqualTo(head.attempts() + 1);
        assertThat(kept.cause()).hasValueSatisfying(c -> assertThat(c.message()).isEqualTo("commit refused"));
        assertThat(f.store.attempts(head.id())).hasSize(head.attempts() + 1);
        assertThat(f.handler.invocations("A#1")).as("parked, and the sequence stopped at the head").isZero();
        assertThat(f.store.sequence(GROUP, key))
                .hasValueSatisfying(s -> assertThat(s.claimedBy()).as("lease released").isNull());

        f.handler.hook = (event, redelivery) -> {
        };
        assertThat(f.redeliverer().redeliver(GROUP, key).outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected("A")).containsExactly(0L, 1L);
    }

    /** "Retry one" again after the oldest sequence failed again: its failure touched it, so the next one's turn. */
    @Test
    void redeliveringTheOldestAgainAfterItFailedTakesTheNextSequence() {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        String a = f.park(1, "A").get(0);
        String c = f.park(1, "C").get(0);
        f.handler.faults.poisoned.add("A");

        RedeliveryResult first = f.redeliverer().redeliverOldest(GROUP);
        RedeliveryResult second = f.redeliverer().redeliverOldest(GROUP);
        RedeliveryResult third = f.redeliverer().redeliverOldest(GROUP);

        assertThat(first.sequenceKey()).as("%s", first).isEqualTo(a);
        assertThat(first.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(second.sequenceKey()).as("%s", second).isEqualTo(c);
        assertThat(second.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(third.sequenceKey()).as("%s", third).isEqualTo(a);
        assertThat(f.projected("C")).containsExactly(0L);
    }

    /**
     * "Retry one" on a group whose longest-waiting sequence starts with a letter nothing can read: that sequence stays
     * the oldest (an unreadable letter is not touched), so a redelivery that stops at it would answer UNREADABLE for it
     * on every call and never reach the sequences behind it.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"its payload class is gone", "its payload data is corrupt"})
    void redeliveringTheOldestPassesOverASequenceWhoseHeadCannotBeReadAndTakesTheNextOne(String why) {
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED));
        List<String> keys = f.park(1, "A");
        f.park(1, "C");
        StoredLetter unreadable = f.letters("A").get(0);
        assertThat(f.letters("C").get(0).lastTouched()).as("A waited longest")
                                                        .isAfter(unreadable.lastTouched());
        if (why.contains("class")) {
            assertThat(f.jdbc.update("UPDATE axon_dlq_letter SET payload_type = ? WHERE letter_id = ?",
                                     "com.example.NoSuchEvent", unreadable.id())).isEqualTo(1);
        } else {
            // Its type is still there: only reading it tells.
            assertThat(f.jdbc.update("UPDATE axon_dlq_letter SET payload = ? WHERE letter_id = ?",
                                     "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                     unreadable.id())).isEqualTo(1);
            assertThat(f.store.letter(unreadable.id()).orElseThrow().readability().readable()).isTrue();
        }

        RedeliveryResult first = f.redeliverer().redeliverOldest(GROUP);

        assertThat(first.sequenceKey()).as("%s", first).isEqualTo(f.key("C"));
        assertThat(first.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected("C")).containsExactly(0L);
        assertThat(f.sequenceSize("A")).as("A unchanged").isEqualTo(1);
        assertThat(f.store.letter(unreadable.id()).orElseThrow().lastTouched()).isEqualTo(unreadable.lastTouched());

        // Nothing else waits: the caller learns why the one left cannot be redelivered, not "nothing found".
        RedeliveryResult second = f.redeliverer().redeliverOldest(GROUP);

        assertThat(second.sequenceKey()).as("%s", second).isEqualTo(keys.get(0));
        assertThat(second.outcome()).isEqualTo(RedeliveryResult.Outcome.UNREADABLE);
        assertThat(second.stoppedAtLetterId()).isEqualTo(unreadable.id());
        assertThat(f.store.sequence(GROUP, keys.get(0)))
                .hasValueSatisfying(s -> assertThat(s.claimedBy()).as("lease released").isNull());
    }

    // --- support ------------------------------------------------------------------------------------------------

    /** A second processing group of the same processor; fails once on the events listed, keeps no transaction state. */
    @org.axonframework.config.ProcessingGroup(SecondGroupHandler.GROUP)
    static final class SecondGroupHandler {

        static final String GROUP = "second";
        final java.util.Set<String> failOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> handled = new CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        /** The batch (root unit of work) each event was last handled in. */
        final Map<String, Integer> batchOf = new java.util.concurrent.ConcurrentHashMap<>();

        @org.axonframework.eventhandling.EventHandler
        void on(ThingHappened event) {
            attempts.incrementAndGet();
            String key = event.aggregateId() + "#" + event.seq();
            batchOf.put(key, System.identityHashCode(CurrentUnitOfWork.get().root()));
            if (failOnce.remove(key)) {
                throw new IllegalStateException("second group fails once on " + key);
            }
            handled.add(key);
        }
    }

    /** A failure the skip tests' policy drops. */
    static final class IgnorableFailure extends RuntimeException {
        IgnorableFailure(String message) {
            super(message);
        }
    }

    /** Records every callback as one line: {@code <callback> <event key> [<detail>]}. */
    static final class RecordingObserver implements DeadLetterObserver {

        private final List<String> events = new CopyOnWriteArrayList<>();

        List<String> events() {
            return List.copyOf(events);
        }

        List<String> matching(String prefix) {
            return events.stream().filter(e -> e.startsWith(prefix)).toList();
        }

        void clear() {
            events.clear();
        }

        @Override
        public void retried(String processingGroup, EventMessage<?> event, Throwable cause, int failedAttempts) {
            events.add("retried " + key(event) + " " + failedAttempts);
        }

        @Override
        public void deadLettered(String processingGroup, EventMessage<?> event, Throwable cause, int attempts) {
            events.add("deadLettered " + key(event) + " " + attempts);
        }

        @Override
        public void parked(String processingGroup, EventMessage<?> event) {
            events.add("parked " + key(event));
        }

        @Override
        public void skipped(String processingGroup, EventMessage<?> event, Throwable cause) {
            events.add("skipped " + key(event) + " " + cause.getClass().getSimpleName());
        }

        @Override
        public void redelivered(String processingGroup, EventMessage<?> event) {
            events.add("redelivered " + key(event));
        }

        @Override
        public void redeliveryFailed(String processingGroup, EventMessage<?> event, Throwable cause) {
            events.add("redeliveryFailed " + key(event));
        }

        @Override
        public void overflowed(String processingGroup, EventMessage<?> event) {
            events.add("overflowed " + key(event));
        }

        @Override
        public void evicted(String processingGroup, int letters, String reason) {
            events.add("evicted " + processingGroup + " " + letters + " " + reason);
        }
    }

    /** Captures what one class logs while open. */
    private static final class LogCapture implements AutoCloseable {

        private final Logger logger;
        private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

        private LogCapture(Class<?> type) {
            this.logger = (Logger) LoggerFactory.getLogger(type);
            appender.start();
            logger.addAppender(appender);
        }

        static LogCapture of(Class<?> type) {
            return new LogCapture(type);
        }

        List<ILoggingEvent> events() {
            return new ArrayList<>(appender.list);
        }

        @Override
        public void close() {
            logger.detachAppender(appender);
            appender.stop();
        }
    }
}
