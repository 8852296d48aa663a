package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.SequenceSummary;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.async.SequentialPolicy;
import org.axonframework.serialization.SimpleSerializedObject;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sequence identifiers whose {@code toString()} or {@code hashCode()} is identity-based, across a restart: the events
 * published after the restart must park behind the letters of before it (I2), through the real module and a pooled
 * processor. In a new JVM such an identifier (Axon's {@code SequentialPolicy}'s static object included) prints and
 * hashes differently; a restart within one JVM keeps a static object, so the policies here hand each configuration a
 * fresh object, chosen to hash into the other of the two segments. A map hashes alike in every JVM but prints in an
 * order that differs per JVM ({@code Map.of}) or per history ({@code HashMap}): each configuration gets an equal map
 * that prints in the other order.
 */
abstract class SequenceKeysAcrossRestartIntegrationTest extends InvokerTestBase {

    /** Neither toString nor hashCode overridden. */
    static final class Opaque {
    }

    /** A stable toString, an identity hashCode. */
    static final class Lane {
        @Override
        public String toString() {
            return "lane";
        }
    }

    enum Identifier {
        /** Axon's own policy: in one JVM the same object before and after the restart. */
        AXON_SEQUENTIAL_POLICY(null),
        /** What {@code SequentialPolicy} returns in a new JVM: another plain {@code Object}. */
        FRESH_OBJECT(Object::new),
        FRESH_OPAQUE(Opaque::new),
        FRESH_LANE(Lane::new),
        /**
         * An equal map printed in another order, as {@code Map.of} prints in a new JVM: "Aa" and "BB" share a hash,
         * so a {@code HashMap} prints them in insertion order.
         */
        EQUAL_MAP_IN_ANOTHER_ORDER(null) {
            @Override
            Object next(Object previous) {
                Map<String, String> map = new HashMap<>();
                boolean aaFirst = previous == null || previous.toString().startsWith("{BB");
                map.put(aaFirst ? "Aa" : "BB", aaFirst ? "1" : "2");
                map.put(aaFirst ? "BB" : "Aa", aaFirst ? "2" : "1");
                return map;
            }
        };

        private final Supplier<Object> factory;

        Identifier(Supplier<Object> factory) {
            this.factory = factory;
        }

        /** A new identity whose segment (of two) differs from the previous configuration's. */
        Object next(Object previous) {
            Object id = factory.get();
            while (previous != null && (id.hashCode() & 1) == (previous.hashCode() & 1)) {
                id = factory.get();
            }
            return id;
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Identifier.class)
    void eventsPublishedAfterARestartParkBehindTheLettersOfBeforeIt(Identifier identifier) {
        AtomicReference<Object> current = new AtomicReference<>();
        Options options = Options.of(ProcessorType.POOLED).segments(2).customizer(ep -> {
            // An idle segment stores its token only when its claim is extended: soon, so that the restart below
            // does not deliver the events of before it again (a duplicate letter is another issue's subject).
            ep.registerPooledStreamingEventProcessorConfiguration(
                    InvokerFixture.PROCESSOR, (c, builder) -> builder.claimExtensionThreshold(20));
            if (identifier == Identifier.AXON_SEQUENTIAL_POLICY) {
                ep.registerSequencingPolicy(GROUP, c -> new SequentialPolicy());
            } else {
                Object id = identifier.next(current.get()); // once per configuration, like a new JVM
                current.set(id);
                ep.registerSequencingPolicy(GROUP, c -> event -> id);
            }
        });
        InvokerFixture f = fixture.start(options);
        f.handler.faults.poisoned.add("A");

        f.publishRounds(1, "A", "B");

        eventually().untilAsserted(() -> assertThat(f.store.size(GROUP)).isEqualTo(2));
        eventually().until(() -> storedPosition(f, 0) >= f.headPosition() && storedPosition(f, 1) >= f.headPosition());
        String key = onlySequence(f).sequenceKey();

        // Healed: an event that is not parked would now be handled live.
        f.handler.faults.clear();
        f.restart();
        f.publishRounds(1, "C", "A");

        // Parked (correct) or handled live (the bug): either ends the wait, the assertions tell which.
        eventually().until(() -> f.store.size(GROUP) == 4 || f.projectionRows() > 0);
        eventually().until(f::tokensAtHead);
        assertThat(f.handler.invocations("C#0")).as("C#0 handled live").isZero();
        assertThat(f.handler.invocations("A#1")).as("A#1 handled live").isZero();
        assertThat(f.projectionRows()).isZero();
        SequenceSummary sequence = onlySequence(f);
        assertThat(sequence.sequenceKey()).isEqualTo(key);
        assertThat(f.store.sequenceLetters(GROUP, key, -1, 10))
                .extracting(l -> ((ThingHappened) l.message().getPayload()).key())
                .containsExactly("A#0", "B#0", "C#0", "A#1");

        RedeliveryResult result = f.redeliverer().redeliver(GROUP, key);

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(4);
        assertThat(handledInOrder(f)).containsExactly("A#0", "B#0", "C#0", "A#1");

        f.publishRounds(1, "D");
        eventually().untilAsserted(() -> assertThat(f.projected("D")).containsExactly(0L));
        assertThat(f.store.size(GROUP)).isZero();
        assertThat(key).as("no identity hash in the key").doesNotContain("@");
    }

    /** The position of the segment's stored token; read from the table, as fetching would claim it. */
    private static long storedPosition(InvokerFixture f, int segment) {
        List<TrackingToken> tokens = f.jdbc.query(
                "SELECT token, tokenType FROM TokenEntry WHERE processorName = ? AND segment = ?",
                (rs, i) -> rs.getBytes("token") == null ? null : f.serializer.<byte[], TrackingToken>deserialize(
                        new SimpleSerializedObject<>(rs.getBytes("token"), byte[].class, rs.getString("tokenType"),
                                                     null)),
                InvokerFixture.PROCESSOR, segment);
        return tokens.isEmpty() || tokens.get(0) == null ? -1 : tokens.get(0).position().orElse(-1);
    }

    private static SequenceSummary onlySequence(InvokerFixture f) {
        List<SequenceSummary> sequences = f.store.sequences(GROUP, 10, null).items();
        assertThat(sequences).as("one sequence").hasSize(1);
        return sequences.get(0);
    }

    private static List<String> handledInOrder(InvokerFixture f) {
        return f.jdbc.queryForList("SELECT aggregate_id, seq FROM projection ORDER BY ord")
                     .stream().map(row -> row.get("aggregate_id") + "#" + row.get("seq")).toList();
    }
}
