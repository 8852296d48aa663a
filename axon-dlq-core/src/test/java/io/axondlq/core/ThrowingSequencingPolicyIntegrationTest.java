package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.StoredLetter;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A sequencing policy that throws for one event (a payload it cannot read): before, Axon's segment check and the
 * invoker failed the batch on every replay and the segment stalled (I4). Now the event is dead-lettered as a sequence
 * of its own, under its message identifier, with the policy's failure as its cause; every other event flows, and
 * the letter redelivers. Real pooled and tracking processors, two segments.
 */
abstract class ThrowingSequencingPolicyIntegrationTest extends InvokerTestBase {

    /** The default policy, but unable to place A#1. */
    private static Object sequenceOf(EventMessage<?> event) {
        if (event.getPayload() instanceof ThingHappened thing && thing.key().equals("A#1")) {
            throw new IllegalStateException("cannot tell the sequence of " + thing.key());
        }
        return SequentialPerAggregatePolicy.instance().getSequenceIdentifierFor(event);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void anEventThePolicyFailsForIsALetterOfItsOwnAndTheSegmentFlows(ProcessorType type) {
        InvokerFixture f = fixture.start(Options.of(type).segments(2).customizer(
                ep -> ep.registerSequencingPolicy(GROUP, c -> ThrowingSequencingPolicyIntegrationTest::sequenceOf)));

        f.publishRounds(3, "A", "B", "C");

        eventually().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("C")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("A")).containsExactly(0L, 2L);
            assertThat(f.store.size(GROUP)).isEqualTo(1);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("A#1")).as("A#1's handler never ran").isZero();
        List<StoredLetter> letters = f.store.sequences(GROUP, 10, null).items().stream()
                                            .flatMap(s -> f.store.sequenceLetters(GROUP, s.sequenceKey(), -1, 10)
                                                                 .stream())
                                            .toList();
        assertThat(letters).hasSize(1);
        StoredLetter letter = letters.get(0);
        assertThat(((ThingHappened) letter.message().getPayload()).key()).isEqualTo("A#1");
        assertThat(letter.sequenceKey()).isEqualTo(f.store.sequenceKey(letter.message().getIdentifier()));
        assertThat(letter.cause()).map(c -> c.type()).contains(IllegalStateException.class.getName());
        assertThat(letter.cause()).map(c -> c.message()).contains("cannot tell the sequence of A#1");

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, letter.sequenceKey());

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected("A")).containsExactly(0L, 2L, 1L);
        assertThat(f.store.size(GROUP)).isZero();
    }
}
