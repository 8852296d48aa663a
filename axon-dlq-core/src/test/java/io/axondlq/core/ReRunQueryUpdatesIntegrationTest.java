package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.queryhandling.QueryUpdateEmitter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiPredicate;

import static io.axondlq.core.InvokerFixture.fastRetry;
import static io.axondlq.core.InvokerFixture.perAttempt;
import static io.axondlq.core.InvokerFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Subscription-query updates a handler of an axon-dlq group emits per event (Axon's SimpleQueryUpdateEmitter queues
 * them for the unit of work's after-commit) reach subscribers once per handled event, in event order, after the
 * batch's commit: also for events re-run after a checkpoint rollback (each in a unit of work nested in the batch,
 * whose after-commit Axon would run in reverse order), for an event re-run twice, and with a savepoint per attempt.
 * Updates of failed attempts are never emitted.
 */
abstract class ReRunQueryUpdatesIntegrationTest extends InvokerTestBase {

    /** Emits its event's key as an update, then fails when {@link #fails} says so for that invocation. */
    @ProcessingGroup(InvokerFixture.GROUP)
    public static class EmittingHandler {

        private final QueryUpdateEmitter emitter;
        final Map<String, AtomicInteger> invocations = new ConcurrentHashMap<>();
        /** (event key, its invocation number from 1) → whether this invocation fails after emitting. */
        volatile BiPredicate<String, Integer> fails = (key, invocation) -> false;

        public EmittingHandler(QueryUpdateEmitter emitter) {
            this.emitter = emitter;
        }

        @EventHandler
        public void on(ThingHappened event) {
            int invocation = invocations.computeIfAbsent(event.key(), k -> new AtomicInteger()).incrementAndGet();
            emitter.emit(String.class, q -> true, event.key());
            if (fails.test(event.key(), invocation)) {
                throw new IllegalStateException("failed " + event.key() + " (invocation " + invocation + ")");
            }
        }
    }

    private final List<String> updates = new CopyOnWriteArrayList<>();
    private volatile EmittingHandler emitting;

    private void start(Options options, BiPredicate<String, Integer> fails) {
        fixture.start(options.customizer(ep -> ep.registerEventHandler(c -> {
            EmittingHandler handler = new EmittingHandler(c.queryUpdateEmitter());
            handler.fails = fails;
            emitting = handler;
            return handler;
        })));
        // Called when an update is actually emitted (the emitter runs its dispatch interceptors then).
        fixture.config.queryUpdateEmitter().registerDispatchInterceptor(messages -> (i, update) -> {
            updates.add((String) update.getPayload());
            return update;
        });
    }

    private static Options tracking() {
        return Options.of(ProcessorType.TRACKING).segments(1).batchSize(10);
    }

    /** A#0, A#1 re-run after B#0 fails for good; A#2 handled after B#0's isolation. */
    @Test
    void updatesOfReRunEventsAreEmittedInEventOrder() {
        start(tracking().settings(settings(fastRetry(3).build())), (key, n) -> key.startsWith("B"));
        fixture.publishAsOneBatch(List.of(fixture.next("A"), fixture.next("A"), fixture.next("B"), fixture.next("A")));

        awaitHandled("A#2", "B");
        assertThat(updates).as("updates emitted, in event order (B#0 failed 3 times and is a letter)")
                           .containsExactly("W#0", "A#0", "A#1", "A#2");
    }

    /**
     * A#1 fails on its re-run (a non-deterministic handler): the batch is rolled back to the checkpoint a second
     * time and A#0 re-run again. The update of A#0's first re-run (committed in its own unit of work) must be dropped
     * with that rollback, not emitted besides the one of its second re-run.
     */
    @Test
    void anEventReRunTwiceEmitsItsUpdateOnce() {
        start(tracking().settings(settings(fastRetry(3).build())),
              (key, n) -> key.startsWith("B") || (key.equals("A#1") && n == 2));
        fixture.publishAsOneBatch(List.of(fixture.next("A"), fixture.next("A"), fixture.next("B"), fixture.next("A")));

        awaitHandled("A#2", "B");
        assertThat(emitting.invocations.get("A#0")).as("A#0: live, re-run twice").hasValue(3);
        assertThat(emitting.invocations.get("A#1")).as("A#1: live, failed re-run, isolated").hasValue(3);
        assertThat(updates).as("updates emitted, once per event, in event order")
                           .containsExactly("W#0", "A#0", "A#1", "A#2");
    }

    /** B#0 fails once, then succeeds on its isolation: its update is emitted once, in its place. */
    @Test
    void anEventThatSucceedsOnItsIsolationEmitsInItsPlace() {
        start(tracking().settings(settings(fastRetry(3).build())), (key, n) -> key.equals("B#0") && n == 1);
        fixture.publishAsOneBatch(List.of(fixture.next("A"), fixture.next("A"), fixture.next("B"), fixture.next("A")));

        eventually().until(fixture::tokensAtHead);
        eventually().untilAsserted(() -> assertThat(updates).contains("A#2"));
        assertThat(updates).containsExactly("W#0", "A#0", "A#1", "B#0", "A#2");
    }

    /** With a savepoint per attempt nothing is re-run: the updates are in event order too. */
    @Test
    void updatesWithASavepointPerAttemptAreEmittedInEventOrder() {
        start(tracking().settings(perAttempt(fastRetry(3).build())), (key, n) -> key.startsWith("B"));
        fixture.publishAsOneBatch(List.of(fixture.next("A"), fixture.next("A"), fixture.next("B"), fixture.next("A")));

        awaitHandled("A#2", "B");
        assertThat(updates).containsExactly("W#0", "A#0", "A#1", "A#2");
    }

    private void awaitHandled(String lastUpdate, String letteredAggregate) {
        eventually().untilAsserted(() -> assertThat(fixture.sequenceSize(letteredAggregate)).isEqualTo(1));
        eventually().until(fixture::tokensAtHead);
        eventually().untilAsserted(() -> assertThat(updates).contains(lastUpdate));
    }
}
