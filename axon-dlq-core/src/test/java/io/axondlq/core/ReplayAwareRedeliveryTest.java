package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.jdbc.GeneralSerializerAccess;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.DisallowReplay;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.ReplayToken;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A processor reset replays the stream; an event whose replay fails is dead-lettered during the replay. Its
 * redelivery must still be a replay for the group's replay-aware handlers: a {@code @DisallowReplay} handler (a
 * notifier, an e-mail sender) that handled the event once live must not handle it again when the replayed event is
 * redelivered. The letter keeps its {@link ReplayToken}, but the token's "this message is a replay" flag is a
 * transient field: a general serializer that does not go through the token's {@code @JsonCreator} constructor
 * (XStream, Axon 4's default) reads it back as false.
 */
abstract class ReplayAwareRedeliveryTest extends InvokerTestBase {

    /** A second handler of the group that must not see replays. */
    @ProcessingGroup(GROUP)
    public static class Notifier {
        final Map<String, AtomicInteger> notified = new ConcurrentHashMap<>();

        @EventHandler
        @DisallowReplay
        public void on(ThingHappened event) {
            notified.computeIfAbsent(event.key(), k -> new AtomicInteger()).incrementAndGet();
        }

        int notified(String key) {
            AtomicInteger count = notified.get(key);
            return count == null ? 0 : count.get();
        }
    }

    private String serializerName = "JACKSON";

    @Override
    InvokerFixture newFixture() {
        Serializer general = serializerName.equals("XSTREAM") ? GeneralSerializerAccess.xstream()
                                                              : JacksonSerializer.defaultSerializer();
        return new InvokerFixture(database, pool, pool, general);
    }

    @ParameterizedTest(name = "{0}, {1}, clearOnReset={2}")
    @CsvSource({"TRACKING, JACKSON, false", "TRACKING, XSTREAM, false", "POOLED, XSTREAM, false",
            "TRACKING, XSTREAM, true", "POOLED, XSTREAM, true"})
    void aReplayedEventDeadLetteredDuringTheReplayIsStillAReplayWhenRedelivered(ProcessorType type, String serializer,
                                                                               boolean clearOnReset) {
        serializerName = serializer;
        fixture.close();
        fixture = newFixture();
        Notifier notifier = new Notifier();
        Options options = Options.of(type).segments(1).batchSize(1)
                                 .settings(new io.axondlq.core.config.GroupSettings(
                                         InvokerFixture.fastRetry(2).build(),
                                         DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT, clearOnReset))
                                 .customizer(ep -> ep.registerEventHandler(c -> notifier));
        InvokerFixture f = fixture.start(options);
        f.publish(List.of(f.next("A")));
        eventually().untilAsserted(() -> assertThat(f.projected("A")).containsExactly(0L));
        eventually().until(f::tokensAtHead);
        assertThat(notifier.notified("A#0")).as("notified live, once").isEqualTo(1);

        // The projection is rebuilt; its replay of A#0 fails for good and is dead-lettered during the replay.
        f.handler.faults.poisoned.add("A");
        StreamingEventProcessor processor = f.processor();
        processor.shutDown();
        processor.resetTokens();
        processor.start();
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(1));
        eventually().until(f::tokensAtHead);
        boolean readBackAsReplay = ReplayToken.isReplay(f.letters("A").get(0).message());
        assertThat(notifier.notified("A#0")).as("the replay does not notify").isEqualTo(1);

        f.handler.faults.clear();
        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key("A"));
        assertThat(f.sequenceSize("A")).as("redelivered: %s", result).isZero();
        assertThat(f.projected("A")).containsExactly(0L);
        assertThat(notifier.notified("A#0"))
                .as("@DisallowReplay handler invocations for A#0 after redelivering the letter of its replay (general "
                            + "serializer %s; letter read back as a replay: %s)", serializer, readBackAsReplay)
                .isEqualTo(1);
    }
}
