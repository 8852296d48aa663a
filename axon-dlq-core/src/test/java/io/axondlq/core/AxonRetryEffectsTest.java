package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.common.caching.WeakReferenceCache;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.eventsourcing.EventSourcingRepository;
import org.axonframework.modelling.command.AggregateAnnotationCommandHandler;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.AggregateLifecycle;
import org.axonframework.modelling.command.TargetAggregateIdentifier;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static io.axondlq.core.InvokerFixture.GROUP;
import static io.axondlq.core.InvokerFixture.fastRetry;
import static io.axondlq.core.InvokerFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Effects of a failed, retried attempt on Axon's other components (review s25-r6), on real Axon parts: a
 * {@link org.axonframework.config.DefaultConfigurer} with axon-dlq's module, a tracking processor, the JDBC store.
 */
abstract class AxonRetryEffectsTest extends InvokerTestBase {

    static final String COUNTER = "counter-1";

    public record CreateCounter(@TargetAggregateIdentifier String id) {
    }

    public record Increment(@TargetAggregateIdentifier String id) {
    }

    public record CounterCreated(String id) {
    }

    public record Incremented(String id, int count) {
    }

    /** An ordinary event-sourced aggregate. */
    public static class Counter {

        @AggregateIdentifier
        private String id;
        private int count;

        public Counter() {
        }

        @CommandHandler
        public Counter(CreateCounter command) {
            AggregateLifecycle.apply(new CounterCreated(command.id()));
        }

        @CommandHandler
        public void handle(Increment command) {
            AggregateLifecycle.apply(new Incremented(id, count + 1));
        }

        @EventSourcingHandler
        void on(CounterCreated event) {
            id = event.id();
        }

        @EventSourcingHandler
        void on(Incremented event) {
            count = event.count();
        }
    }

    /** A handler of the axon-dlq group that sends a command for C's events, and fails its first attempt after it. */
    @ProcessingGroup(GROUP)
    public static class CommandingHandler {

        final CommandGateway gateway;
        final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();

        public CommandingHandler(CommandGateway gateway) {
            this.gateway = gateway;
        }

        @EventHandler
        public void on(ThingHappened event) {
            if (!event.aggregateId().equals("C")) {
                return;
            }
            gateway.sendAndWait(new Increment(COUNTER));
            if (attempts.computeIfAbsent(event.key(), k -> new AtomicInteger()).incrementAndGet() == 1) {
                throw new IllegalStateException("first attempt of " + event.key() + " fails after its command");
            }
        }

        int attempts(String key) {
            AtomicInteger n = attempts.get(key);
            return n == null ? 0 : n.get();
        }
    }

    /**
     * A handler sends a command to an event-sourced aggregate whose repository caches aggregates (Axon's
     * {@code CachingEventSourcingRepository}, what {@code @Aggregate(cache = ...)} configures), then fails; the retry
     * succeeds. The command runs in a unit of work nested in the batch's: its commit stores the aggregate, with the
     * event it applied, in the cache and registers the eviction on the rollback of that unit of work. axon-dlq undoes
     * the failed attempt by rolling the database back to a savepoint and dropping the queued event
     * (PublicationMark), but never rolls the unit of work back: the cache keeps an aggregate that applied an event
     * that was never stored. The retry's command loads it from the cache and applies the next event at sequence 2:
     * the event store holds 0 and 2 (a gap) and the aggregate's cached state counts an increment that does not exist.
     * Axon without axon-dlq rolls the batch's unit of work back, which evicts the aggregate.
     */
    @Test
    void aCommandSentByAFailedAttemptLeavesNoTraceInACachedAggregate() {
        CommandingHandler[] holder = {null};
        Options options = Options.of(ProcessorType.TRACKING).segments(1).batchSize(1)
                                 .settings(settings(fastRetry(3).build()))
                                 .customizer(ep -> ep.registerEventHandler(
                                         c -> holder[0] = new CommandingHandler(c.commandGateway())));
        fixture.start(options);
        var config = fixture.config;
        EventSourcingRepository<Counter> repository = EventSourcingRepository.builder(Counter.class)
                                                                             .eventStore(config.eventStore())
                                                                             .cache(new WeakReferenceCache())
                                                                             .build();
        AggregateAnnotationCommandHandler.<Counter>builder().aggregateType(Counter.class).repository(repository)
                                         .build().subscribe(config.commandBus());
        CommandingHandler handler = holder[0];
        config.commandGateway().sendAndWait(new CreateCounter(COUNTER));

        fixture.publish(List.of(fixture.next("C")));

        eventually().until(() -> handler.attempts("C#0") == 2);
        eventually().until(fixture::tokensAtHead);
        assertThat(fixture.sequenceSize("C")).as("C#0 succeeded on its retry").isZero();
        List<? extends DomainEventMessage<?>> stored = config.eventStore().readEvents(COUNTER).asStream().toList();
        assertThat(stored).extracting(DomainEventMessage::getSequenceNumber)
                          .as("sequence numbers of the counter's stored events (one increment succeeded)")
                          .containsExactly(0L, 1L);
        assertThat(stored.get(1).getPayload()).isEqualTo(new Incremented(COUNTER, 1));
    }

    /**
     * The retry policy's backoff is a plain {@code Thread.sleep} on the processor's thread that nothing interrupts
     * and that does not look at the processor's state: {@code shutDown()} of a tracking processor waits for its
     * worker, so it waits for the whole remaining retry chain of the event (every attempt and every backoff), and the
     * event is then dead-lettered by a processor that was asked to stop. Axon's own error back-off
     * ({@code TrackingEventProcessor.doSleepFor}) checks the processor's state and ends as soon as it stops.
     */
    @Test
    void shutDownDuringARetryBackoffDoesNotWaitForTheRestOfTheRetryChain() throws Exception {
        shutDownDuringBackoff(ProcessorType.TRACKING);
    }

    /** The same with a pooled streaming processor. */
    @Test
    void pooledShutDownDuringARetryBackoffDoesNotWaitForTheRestOfTheRetryChain() throws Exception {
        shutDownDuringBackoff(ProcessorType.POOLED);
    }

    private void shutDownDuringBackoff(ProcessorType type) {
        Options options = Options.of(type).segments(1).batchSize(1)
                                 .settings(settings(fastRetry(6).initialBackoff(java.time.Duration.ofSeconds(2))
                                                                .maxBackoff(java.time.Duration.ofSeconds(2))
                                                                .multiplier(1.0).build()));
        fixture.handler.faults.poisoned.add("P");
        fixture.start(options);
        fixture.publish(List.of(fixture.next("P")));
        eventually().until(() -> fixture.handler.invocations("P#0") >= 1);

        long start = System.nanoTime();
        fixture.processor().shutDown();
        long millis = java.time.Duration.ofNanos(System.nanoTime() - start).toMillis();

        assertThat(millis).as("shutDown() of the %s processor, called during P#0's retry back-off "
                                      + "(6 attempts, 2 s apart; %d attempt(s) run when it returned)",
                               type, fixture.handler.invocations("P#0"))
                          .isLessThan(4_000L);
    }
}
