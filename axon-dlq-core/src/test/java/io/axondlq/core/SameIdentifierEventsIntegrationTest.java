package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.messaging.MetaData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two events of one batch that share a message identifier, as Axon's one-to-many upcasters produce (every event an
 * {@code EventMultiUpcaster} makes of a stored event keeps its identifier and token, and the processors put them in
 * one batch), the second one failing; with and without savepoints. Without savepoints the invoker keeps a failed
 * attempt for the processor's replay of the batch; keyed by the identifier alone, the first event took the second
 * one's record on the replay (both tests failed before, without savepoints, on both databases).
 */
abstract class SameIdentifierEventsIntegrationTest extends InvokerTestBase {

    private static Function<DataSource, Savepoints> savepoints(String kind) {
        return kind.equals("none") ? ds -> Savepoints.NONE : JdbcSavepoints::new;
    }

    /** A#0 and A#1 share one identifier; B#0 before them and C#0 after them are of other sequences. */
    private List<EventMessage<?>> batch(InvokerFixture f) {
        Instant now = Instant.now();
        return List.of(f.next("B"),
                       sameId("A", 0, now), sameId("A", 1, now),
                       f.next("C"));
    }

    /** Stores {@link #batch} and starts one tracking segment on it, with A#1 failing as {@code failure} says. */
    private InvokerFixture startWithAFailingA1(String savepointKind, Supplier<RuntimeException> failure) {
        InvokerFixture f = fixture;
        f.handler.faults.failWith.put("A#1", failure);
        f.storageEngine.appendEvents(batch(f));
        f.start(Options.of(ProcessorType.TRACKING).segments(1).batchSize(10).savepoints(savepoints(savepointKind)));
        return f;
    }

    private static EventMessage<?> sameId(String aggregate, long seq, Instant at) {
        return new GenericDomainEventMessage<>(InvokerFixture.AGGREGATE_TYPE, aggregate, seq,
                                               new ThingHappened(aggregate, seq), MetaData.emptyInstance(),
                                               "one-stored-event-upcast-to-two", at);
    }

    /**
     * A#1 fails for good (retryable): it must be dead-lettered after its 3 attempts, A#0 (which succeeds) handled,
     * and B#0 and C#0 handled. Without savepoints, A#0 consumes A#1's record on every replay, A#1 starts at attempt 1
     * each time and never reaches its last attempt: the batch is replayed forever and C#0 (another sequence) is
     * never handled (I4).
     */
    @ParameterizedTest(name = "savepoints={0}")
    @ValueSource(strings = {"none", "jdbc"})
    void aPoisonEventSharingItsIdentifierWithAnEarlierEventOfTheBatchIsDeadLettered(String kind) {
        InvokerFixture f = startWithAFailingA1(kind, () -> new IllegalStateException("A#1 is poison"));

        eventually().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
            assertThat(f.projected("C")).as("C#0, another sequence of the batch (A#1 invoked %d times, A#0 %d times)",
                                            f.handler.invocations("A#1"), f.handler.invocations("A#0"))
                                        .containsExactly(0L);
            assertThat(f.sequenceSize("A")).isEqualTo(1);
        });
        assertThat(f.projected("A")).containsExactly(0L);
        assertThat(f.letters("A")).extracting(l -> ((ThingHappened) l.messages().get(0).getPayload()).key())
                                  .containsExactly("A#1");
    }

    /**
     * A#1 fails with a non-retryable exception: A#1 must be the letter (1 attempt) and A#0 handled. Without
     * savepoints, the replay concludes A#0 from A#1's record: A#0 is dead-lettered with A#1's cause without its
     * handler ever failing (it is not even invoked again), and A#1 is parked behind it.
     */
    @ParameterizedTest(name = "savepoints={0}")
    @ValueSource(strings = {"none", "jdbc"})
    void aNonRetryableFailureIsPinnedOnTheEventThatFailed(String kind) {
        InvokerFixture f = startWithAFailingA1(kind, () -> new UnsupportedOperationException("A#1 cannot be handled"));

        eventually().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
            assertThat(f.projected("C")).containsExactly(0L);
            assertThat(f.sequenceSize("A")).isGreaterThanOrEqualTo(1);
        });
        List<StoredLetter> letters = f.letters("A");
        assertThat(letters)
                .as("letters' causes %s; A#0 invoked %d times",
                    letters.stream().map(l -> l.cause().map(c -> c.type()).orElse("none") + "/attempts=" + l.attempts())
                           .toList(),
                    f.handler.invocations("A#0"))
                .extracting(l -> ((ThingHappened) l.messages().get(0).getPayload()).key())
                .containsExactly("A#1");
        assertThat(letters.get(0).attempts()).isEqualTo(1);
        assertThat(letters.get(0).cause()).map(c -> c.type())
                                          .contains(UnsupportedOperationException.class.getName());
        assertThat(f.projected("A")).as("A#0 succeeded: handled").containsExactly(0L);
    }
}
