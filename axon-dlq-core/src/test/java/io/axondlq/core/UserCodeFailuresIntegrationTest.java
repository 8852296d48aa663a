package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.GenericMessage;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What user code (handlers, handler interceptors) throws or hands on, end to end on real processors and a real
 * database: an {@link Error} a handler throws is that event's failure like an exception (retried, dead-lettered,
 * nothing of it committed), except the errors that say the JVM itself is in trouble; and a redelivery hands the
 * handlers the message the processor's interceptors passed on. Written once, subclassed per database.
 */
abstract class UserCodeFailuresIntegrationTest extends InvokerTestBase {

    /** An {@link Error} a poison event makes a handler throw. */
    enum PoisonError {
        /** A payload nested too deeply for a recursive handler: a real overflow, not a constructed one. */
        STACK_OVERFLOW(StackOverflowError.class) {
            @Override
            void raise(ThingHappened event) {
                recurse(0);
            }
        },
        /** A failed {@code assert} or a test library used in production code. */
        ASSERTION(AssertionError.class) {
            @Override
            void raise(ThingHappened event) {
                throw new AssertionError("invariant broken by " + event.key());
            }
        };

        final Class<? extends Error> type;

        PoisonError(Class<? extends Error> type) {
            this.type = type;
        }

        abstract void raise(ThingHappened event);

        private static int recurse(int depth) {
            // Not a tail call (the addition follows it), so every level keeps its frame until the stack runs out.
            return recurse(depth + 1) + 1;
        }
    }

    /** How the processor's transaction lets a failed attempt be undone. */
    enum Undo {
        SAVEPOINT_PER_ATTEMPT,
        /** No savepoints: the invoker rethrows and the processor rolls back and replays the batch. */
        BATCH_REPLAY
    }

    static Stream<Arguments> processorsAndErrors() {
        List<Arguments> arguments = new ArrayList<>();
        for (ProcessorType type : List.of(ProcessorType.POOLED, ProcessorType.TRACKING)) {
            for (PoisonError error : PoisonError.values()) {
                arguments.add(Arguments.of(type, error));
            }
        }
        return arguments.stream();
    }

    static Stream<Arguments> processorsAndUndos() {
        List<Arguments> arguments = new ArrayList<>();
        for (ProcessorType type : List.of(ProcessorType.POOLED, ProcessorType.TRACKING)) {
            for (Undo undo : Undo.values()) {
                arguments.add(Arguments.of(type, undo));
            }
        }
        return arguments.stream();
    }

    // --- Errors thrown by handlers ------------------------------------------------------------------------------

    /**
     * I4: an Error a handler throws for A#0 used to escape the invoker: the tracking processor stopped in its error
     * state (and again after every restart), the pooled one's work package stalled, so A was never dead-lettered and
     * B, another sequence of the same batch, never projected. Now the Error is A#0's failure like any exception.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("processorsAndErrors")
    void anErrorThrownByAHandlerIsRetriedAndDeadLetteredWhileOtherSequencesOfTheBatchAreProjected(
            ProcessorType type, PoisonError error) {
        InvokerFixture f = fixture;
        ErrorObserver observer = new ErrorObserver();
        poisonA0(f, error);
        // One segment, batches of up to ten: A#0 fails among B's and C's events, which must be projected once.
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B"), f.next("A"), f.next("C")));
        f.start(Options.of(type).segments(1).batchSize(10).observer(observer));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.projected("C")).containsExactly(0L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        if (type == ProcessorType.TRACKING) {
            // A tracking processor's batch is what it read (all five events): the failure was isolated inside it.
            assertThat(f.handler.batchOf.get("B#1")).as("one batch").isEqualTo(f.handler.batchOf.get("B#0"))
                                                   .isEqualTo(f.handler.batchOf.get("A#0"));
        }
        assertDeadLetteredAfterThreeAttempts(f, error.type);
        // reported once the batch committed, just after its letter became visible
        eventually().untilAsserted(() -> assertThat(observer.deadLettered).containsExactly(error.type.getName()));
        assertThat(observer.retried).containsExactly(error.type.getName(), error.type.getName());

        // The letter is an ordinary one: redelivered once the handler copes, its follower after it.
        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));
        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected("A")).containsExactly(0L, 1L);
    }

    /**
     * The same with the other two ways a failed attempt is undone: its own savepoint, and (no savepoints) a batch
     * the processor rolls back and replays. There the Error must reach the processor as an exception: Axon's tracking
     * processor stops on an Error and its pooled processor's work package stalls, where an exception makes either
     * replay the batch.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("processorsAndUndos")
    void aStackOverflowIsDeadLetteredWithEveryWayOfUndoingAnAttempt(ProcessorType type, Undo undo) {
        InvokerFixture f = fixture;
        poisonA0(f, PoisonError.STACK_OVERFLOW);
        f.storageEngine.appendEvents(List.of(f.next("B"), f.next("A"), f.next("B"), f.next("A"), f.next("C")));
        Options options = Options.of(type).segments(1).batchSize(10);
        f.start(switch (undo) {
            case SAVEPOINT_PER_ATTEMPT ->
                    options.settings(InvokerFixture.perAttempt(InvokerFixture.fastRetry(3).build()));
            case BATCH_REPLAY -> options.savepoints(ds -> Savepoints.NONE);
        });

        // A replayed batch waits for the tracking processor's back-off (1 s, then 2 s, then 4 s).
        eventually().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L);
            assertThat(f.projected("C")).containsExactly(0L);
            assertThat(f.sequenceSize("A")).isEqualTo(2);
        });
        eventually().until(f::tokensAtHead);
        assertDeadLetteredAfterThreeAttempts(f, StackOverflowError.class);
    }

    /**
     * An OutOfMemoryError (like InternalError) says the JVM is in trouble, not the event: dead-lettering A#0 would park
     * a healthy sequence for a condition any event could have hit. It is not caught: it fails the batch. Axon's
     * tracking processor would then stop and its pooled processor's work package stall, so the test's processor
     * interceptor, which sees it pass, turns it into an exception and the processor retries the batch.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void anOutOfMemoryErrorFailsTheBatchAndIsNotDeadLettered(ProcessorType type) {
        InvokerFixture f = fixture;
        AtomicBoolean thrown = new AtomicBoolean();
        f.handler.hook = (event, redelivery) -> {
            if (event.key().equals("A#0") && thrown.compareAndSet(false, true)) {
                // Cheap: nothing is allocated, the handler only says the heap ran out, once.
                throw new OutOfMemoryError("test");
            }
        };
        List<Throwable> reachedProcessor = new CopyOnWriteArrayList<>();
        MessageHandlerInterceptor<EventMessage<?>> interceptor = (unitOfWork, chain) -> {
            try {
                return chain.proceed();
            } catch (OutOfMemoryError e) {
                reachedProcessor.add(e);
                throw new IllegalStateException("the handler ran out of memory", e);
            }
        };
        ErrorObserver observer = new ErrorObserver();
        f.storageEngine.appendEvents(List.of(f.next("A"), f.next("B"), f.next("A"), f.next("B")));
        f.start(Options.of(type).segments(1).batchSize(10).observer(observer).customizer(
                ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> interceptor)));

        eventually().untilAsserted(() -> {
            assertThat(f.projected("A")).containsExactly(0L, 1L);
            assertThat(f.projected("B")).containsExactly(0L, 1L);
        });
        eventually().until(f::tokensAtHead);
        assertThat(reachedProcessor).as("the error left the invoker").singleElement()
                                    .satisfies(e -> assertThat(e).hasMessage("test"));
        assertThat(f.handler.invocations("A#0")).as("failed once, then handled in the replayed batch").isEqualTo(2);
        assertThat(observer.retried).as("not retried in place by the policy").isEmpty();
        assertThat(observer.deadLettered).isEmpty();
        assertThat(f.store.size(GROUP)).as("never dead-lettered").isZero();
    }

    /** A#0, live only, writes its projection row and then throws {@code error}: the row must never commit. */
    private static void poisonA0(InvokerFixture f, PoisonError error) {
        JdbcTemplate jdbc = new JdbcTemplate(f.dataSource);
        f.handler.hook = (event, redelivery) -> {
            if (event.key().equals("A#0") && !redelivery) {
                jdbc.update("INSERT INTO projection (aggregate_id, seq, redelivered) VALUES (?, ?, ?)",
                            event.aggregateId(), event.seq(), false);
                error.raise(event);
            }
        };
    }

    private static void assertDeadLetteredAfterThreeAttempts(InvokerFixture f, Class<? extends Error> type) {
        assertThat(f.projected("A")).as("nothing of the failed attempts committed").isEmpty();
        assertThat(f.handler.invocations("A#0")).as("attempts, per the policy").isEqualTo(3);
        assertThat(f.handler.invocations("A#1")).as("parked behind A#0").isZero();
        List<StoredLetter> letters = f.letters("A");
        assertThat(letters).extracting(StoredLetter::parked).containsExactly(false, true);
        StoredLetter head = letters.get(0);
        assertThat(((ThingHappened) head.message().getPayload()).key()).isEqualTo("A#0");
        assertThat(head.attempts()).isEqualTo(3);
        assertThat(head.cause()).hasValueSatisfying(c -> assertThat(c.type()).isEqualTo(type.getName()));
        assertThat(f.store.attempts(head.id())).extracting(AttemptRecord::causeType)
                                               .containsExactly(type.getName(), type.getName(), type.getName());
        assertThat(f.store.contains(GROUP, f.key("B"))).isFalse();
        assertThat(f.store.contains(GROUP, f.key("C"))).isFalse();
    }

    /** The cause types the observer (metrics) heard. */
    static final class ErrorObserver implements DeadLetterObserver {

        final List<String> retried = new CopyOnWriteArrayList<>();
        final List<String> deadLettered = new CopyOnWriteArrayList<>();

        @Override
        public void retried(String processingGroup, EventMessage<?> event, Throwable cause, int failedAttempts) {
            retried.add(cause.getClass().getName());
        }

        @Override
        public void deadLettered(String processingGroup, EventMessage<?> event, Throwable cause, int attempts) {
            deadLettered.add(cause.getClass().getName());
        }
    }

    // --- commit callbacks of handlers ------------------------------------------------------------------------------

    /** A commit callback a handler registers, which throws once the redelivery's transaction has committed. */
    enum ThrowingCommitCallback {
        /** Spring's: its exception reaches the committing caller, after the commit. */
        SPRING_AFTER_COMMIT {
            @Override
            void register(RuntimeException failure) {
                TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                    @Override
                    public void afterCommit() {
                        throw failure;
                    }
                });
            }
        },
        /** Axon's, throwing an Error, which Axon does not suppress as it does an exception. */
        AXON_AFTER_COMMIT_ERROR {
            @Override
            void register(RuntimeException failure) {
                CurrentUnitOfWork.get().afterCommit(u -> {
                    throw new AssertionError(failure.getMessage());
                });
            }
        },
        /** Axon's, throwing an exception: Axon logs and suppresses it. */
        AXON_AFTER_COMMIT {
            @Override
            void register(RuntimeException failure) {
                CurrentUnitOfWork.get().afterCommit(u -> {
                    throw failure;
                });
            }
        };

        abstract void register(RuntimeException failure);
    }

    /**
     * A handler's commit callback that throws after the letter's removal committed does not undo the redelivery: the
     * letter is gone and its effect happened once, so the outcome is DRAINED (the callback's failure is logged), not
     * FAILED or LEASE_LOST, and the observer (metrics) hears one redelivery, no failure.
     */
    @ParameterizedTest(name = "{0} {1} letter(s)")
    @MethodSource("callbacksAndLetters")
    void aCommitCallbackThatThrowsAfterTheRemovalCommittedDoesNotUndoTheRedelivery(ThrowingCommitCallback callback,
                                                                                   int letters) {
        RedeliveryObserver observer = new RedeliveryObserver();
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).observer(observer));
        f.park(letters, "A");
        f.handler.hook = (event, redelivery) -> {
            if (redelivery && event.key().equals("A#0")) {
                callback.register(new IllegalStateException("after-commit callback of " + event.key() + " failed"));
            }
        };

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(letters);
        assertThat(result.remaining()).isZero();
        assertThat(f.sequenceSize("A")).isZero();
        assertThat(f.projected("A")).as("each letter's effect once").hasSize(letters).doesNotHaveDuplicates();
        assertThat(observer.redelivered).hasSize(letters);
        assertThat(observer.failed).isEmpty();
    }

    static Stream<Arguments> callbacksAndLetters() {
        List<Arguments> arguments = new ArrayList<>();
        for (ThrowingCommitCallback callback : ThrowingCommitCallback.values()) {
            arguments.add(Arguments.of(callback, 1));
            arguments.add(Arguments.of(callback, 2));
        }
        return arguments.stream();
    }

    /** The redeliveries the observer (metrics) heard. */
    static final class RedeliveryObserver implements DeadLetterObserver {

        final List<String> redelivered = new CopyOnWriteArrayList<>();
        final List<String> failed = new CopyOnWriteArrayList<>();

        @Override
        public void redelivered(String processingGroup, EventMessage<?> event) {
            redelivered.add(event.getIdentifier());
        }

        @Override
        public void redeliveryFailed(String processingGroup, EventMessage<?> event, Throwable cause) {
            failed.add(cause.getClass().getName());
        }
    }

    // --- messages handed on by interceptors ---------------------------------------------------------------------

    /**
     * A handler interceptor that changes the unit of work's message (here: adds 1000 to the payload's sequence
     * number) changes what the handlers get, live and, as in Axon's own dead-letter processing, on redelivery. The
     * redelivery used to hand the handlers the letter's stored message instead of its chain's: the row was 0.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void aRedeliveryHandsTheHandlersTheMessageTheInterceptorsPassedOn(ProcessorType type) {
        AtomicBoolean shifting = new AtomicBoolean();
        MessageHandlerInterceptor<EventMessage<?>> interceptor = (unitOfWork, chain) -> {
            if (shifting.get()) {
                unitOfWork.transformMessage(message -> shifted(message, 1000));
            }
            return chain.proceed();
        };
        InvokerFixture f = fixture.start(Options.of(type).customizer(
                ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> interceptor)));
        f.park(1, "A");
        // Switched on after A#0 was parked: only its redelivery goes through the changing interceptor.
        shifting.set(true);

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));

        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected("A")).as("the interceptor's message was handled").containsExactly(1000L);
        assertThat(f.redeliveredFlags("A")).containsExactly(true);
    }

    /** The event with {@code offset} added to its payload's sequence number; identifier and meta-data kept. */
    private static EventMessage<?> shifted(EventMessage<?> message, long offset) {
        ThingHappened payload = (ThingHappened) message.getPayload();
        ThingHappened changed = new ThingHappened(payload.aggregateId(), payload.seq() + offset);
        if (message instanceof DomainEventMessage<?> domain) {
            return new GenericDomainEventMessage<>(domain.getType(), domain.getAggregateIdentifier(),
                                                   domain.getSequenceNumber(), changed, domain.getMetaData(),
                                                   domain.getIdentifier(), domain.getTimestamp());
        }
        return new GenericEventMessage<>(new GenericMessage<>(message.getIdentifier(), changed, message.getMetaData()),
                                         message::getTimestamp);
    }
}
