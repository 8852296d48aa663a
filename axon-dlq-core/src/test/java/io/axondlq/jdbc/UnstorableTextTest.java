package io.axondlq.jdbc;

import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.SerializedMessage;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A letter must always be storable (issue 10, bug 4): a text field the database refuses (U+0000 on PostgreSQL) or
 * that is longer than its column used to fail the insert, roll the batch back and replay it with the same error,
 * forever. Each case: the letter is stored, it reads back, and the event is not lost.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class UnstorableTextTest {

    private static final JacksonSerializer SERIALIZER = JacksonSerializer.defaultSerializer();
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @TestDataSource
    DataSource dataSource;

    JdbcDeadLetterStore store;
    String group;

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        store = JdbcDeadLetterStore.builder().dataSource(dataSource).eventSerializer(SERIALIZER)
                                   .genericSerializer(SERIALIZER).limits(new DeadLetterLimits(100, 100))
                                   .nodeId("node-a").build();
        group = "group-" + UUID.randomUUID();
    }

    @Test
    void causeMessageAndStackTraceWithNulAreStored() {
        IllegalStateException cause = new IllegalStateException("before\u0000after");
        UUID id = store.enqueue(group, LetterDraft.failed("k", event("o"), cause,
                                                          List.of(AttemptRecord.of(1, T0, "node\u0000a", cause))));

        StoredLetter letter = store.letter(id).orElseThrow();
        assertThat(letter.cause().orElseThrow().message()).isEqualTo("before\uFFFDafter");
        assertThat(letter.causeStackTrace()).hasValueSatisfying(
                trace -> assertThat(trace).contains("before\uFFFDafter").doesNotContain("\u0000"));
        assertThat(store.attempts(id)).singleElement().satisfies(a -> {
            assertThat(a.causeMessage()).isEqualTo("before\uFFFDafter");
            assertThat(a.node()).isEqualTo("node\uFFFDa");
        });
        assertThat(letter.message().getPayload()).isEqualTo(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
    }

    @Test
    void hundredThousandCharacterCauseWithNulAndSurrogatePairsIsStoredCut() {
        String huge = "a\u0000" + "\uD83D\uDE00".repeat(50_000); // 100,002 UTF-16 units, emoji as surrogate pairs
        RuntimeException cause = new RuntimeException(huge);
        UUID id = store.enqueue(group, LetterDraft.failed("k", event("o"), cause,
                                                          List.of(AttemptRecord.of(1, T0, "node-a", cause))));

        StoredLetter letter = store.letter(id).orElseThrow();
        String message = letter.cause().orElseThrow().message();
        assertThat(message).startsWith("a\uFFFD\uD83D\uDE00").hasSizeLessThanOrEqualTo(1023);
        assertNoLoneSurrogate(message);
        assertThat(letter.causeStackTrace()).hasValueSatisfying(trace -> {
            assertThat(trace).hasSizeLessThanOrEqualTo(16_384).startsWith(RuntimeException.class.getName());
            assertNoLoneSurrogate(trace);
        });
        assertThat(store.attempts(id)).singleElement()
                                      .satisfies(a -> assertThat(a.causeMessage()).isEqualTo(message));
    }

    @Test
    void loneSurrogatesInTheCauseDoNotBreakEncoding() {
        UUID id = store.enqueue(group, LetterDraft.failed("k", event("o"),
                                                          new IllegalStateException("high\uD800 low\uDC00 end"),
                                                          List.of()));

        assertThat(store.letter(id).orElseThrow().cause().orElseThrow().message())
                .isEqualTo("high\uFFFD low\uFFFD end");
    }

    @Test
    void overLongIdentifiersAndTypesOfADomainEventAreStoredAndReadBack() {
        String eventId = "e".repeat(300);
        String aggregateId = "a".repeat(300);
        String aggregateType = "Type\u0000" + "t".repeat(300);
        EventMessage<?> event = new GenericDomainEventMessage<>(
                aggregateType, aggregateId, 7, new JdbcDeadLetterStoreTest.OrderPlaced("o", 1),
                MetaData.with("correlationId", "c\u0000" + "c".repeat(300)).and("traceId", "t".repeat(300)),
                eventId, T0);
        // Same 300-character prefix, different end: must stay a different event.
        EventMessage<?> sibling = new GenericDomainEventMessage<>(
                "Type", aggregateId + "b", 8, new JdbcDeadLetterStoreTest.OrderPlaced("o", 2), MetaData.emptyInstance(),
                eventId + "b", T0);

        UUID id = store.enqueue(group, LetterDraft.failed("k", event, new IllegalStateException("boom"), List.of()));
        assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", sibling)))).containsExactly(true);

        StoredLetter letter = store.letter(id).orElseThrow();
        assertThat(letter.event().eventIdentifier()).hasSizeLessThanOrEqualTo(255).startsWith("eeee").contains("#");
        assertThat(letter.event().aggregateIdentifier()).hasSizeLessThanOrEqualTo(255).startsWith("aaaa");
        assertThat(letter.event().aggregateType()).hasSizeLessThanOrEqualTo(255).startsWith("Type\uFFFDttt");
        assertThat(letter.correlationId()).hasValueSatisfying(
                c -> assertThat(c).hasSize(255).startsWith("c\uFFFDccc"));
        DomainEventMessage<?> read = (DomainEventMessage<?>) letter.message();
        assertThat(read.getPayload()).isEqualTo(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1));
        assertThat(read.getSequenceNumber()).isEqualTo(7);
        assertThat(read.getMetaData().get("traceId")).isEqualTo("t".repeat(300)); // the metadata itself is whole
        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).as("the sibling is its own letter")
                                                                     .isEqualTo(2);
        // The same over-long event delivered again is recognised as the same letter.
        assertThat(store.enqueue(group, LetterDraft.failed("k", event, new IllegalStateException("again"),
                                                           List.of()))).isEqualTo(id);
        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).isEqualTo(2);
    }

    @Test
    void payloadTypeWithNulOrOverLongIsStoredListableAndKeepsThePayload() {
        byte[] payload = "{\"orderId\":\"o\",\"line\":3}".getBytes(UTF_8);
        EventMessage<?> withNul = serializedEvent("com.example.Bad\u0000Type", "r\u0000" + "r".repeat(300), payload);
        EventMessage<?> overLong = serializedEvent("com.example." + "X".repeat(600), null, payload);

        UUID nulId = store.enqueue(group, LetterDraft.failed("k1", withNul, new IllegalStateException("x"),
                                                             List.of()));
        UUID longId = store.enqueue(group, LetterDraft.failed("k2", overLong, new IllegalStateException("x"),
                                                              List.of()));

        List<StoredLetter> listed = store.letters(group, LetterFilter.none(), 10, null).items();
        assertThat(listed).extracting(StoredLetter::id).containsExactlyInAnyOrder(nulId, longId);
        StoredLetter nul = store.letter(nulId).orElseThrow();
        assertThat(nul.event().payloadType()).isEqualTo("com.example.Bad\uFFFDType");
        assertThat(nul.event().payloadRevision()).hasSize(255).startsWith("r\uFFFDrrr");
        assertThat(nul.event().payload()).isEqualTo(payload);
        StoredLetter cut = store.letter(longId).orElseThrow();
        assertThat(cut.event().payloadType()).hasSize(512).startsWith("com.example.XXX");
        assertThat(cut.event().payload()).isEqualTo(payload);
        // No class has such a name: reading the message fails typed, naming the letter; the bytes stay exportable.
        assertThatThrownBy(nul::message).isInstanceOf(UndeserializableLetterException.class);
        assertThatThrownBy(cut::message).isInstanceOf(UndeserializableLetterException.class);
    }

    @Test
    void diagnosticsWithALoneSurrogateAreStored() {
        LetterDraft draft = new LetterDraft("k", event("o"), IllegalStateException.class.getName(), "boom", null, 1,
                                            List.of(), MetaData.with("note", "x\uD800y").and("n\u0000", "v\u0000"),
                                            T0, T0, false);

        UUID id = store.enqueue(group, draft);

        Map<String, ?> diagnostics = store.letter(id).orElseThrow().diagnostics();
        assertThat(diagnostics).isNotEmpty();
        assertThat(store.letter(id).orElseThrow().message().getPayload())
                .isEqualTo(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
    }

    @Test
    void aRedeliveryFailureWithNulInItsCauseIsStored() {
        UUID id = store.enqueue(group, LetterDraft.failed("k", event("o"), new IllegalStateException("first"),
                                                          List.of()));
        StoredLetter letter = store.letter(id).orElseThrow();
        RuntimeException again = new RuntimeException("re\u0000try " + "z".repeat(5_000));

        StoredLetter updated = letter.withCause(again);
        assertThat(store.requeue(updated, new AttemptRecord(2, T0, "node-a", again.getClass().getName(),
                                                            again.getMessage()))).isTrue();

        StoredLetter stored = store.letter(id).orElseThrow();
        assertThat(stored.cause().orElseThrow().message()).startsWith("re\uFFFDtry zzz").hasSize(1023);
        assertThat(stored.causeStackTrace()).hasValueSatisfying(t -> assertThat(t).doesNotContain("\u0000"));
        assertThat(store.attempts(id)).extracting(AttemptRecord::causeMessage)
                                      .allSatisfy(m -> assertThat(m).doesNotContain("\u0000"));
    }

    // --- helpers --------------------------------------------------------------------------------------------

    private static EventMessage<?> event(String orderId) {
        return GenericEventMessage.asEventMessage(new JdbcDeadLetterStoreTest.OrderPlaced(orderId, 0));
    }

    /** An event as read from an event store: its payload stays serialized under the type name it was stored with. */
    private static EventMessage<?> serializedEvent(String payloadType, String revision, byte[] payload) {
        SerializedMessage<?> message = new SerializedMessage<>(
                UUID.randomUUID().toString(),
                new SimpleSerializedObject<>(payload, byte[].class, payloadType, revision),
                new SimpleSerializedObject<>("{}".getBytes(UTF_8), byte[].class, MetaData.class.getName(), null),
                SERIALIZER);
        return new GenericEventMessage<>(message, () -> T0);
    }

    private static void assertNoLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                assertThat(i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)))
                        .as("high surrogate at %d is paired", i).isTrue();
                i++;
            } else {
                assertThat(Character.isLowSurrogate(c)).as("lone low surrogate at %d", i).isFalse();
            }
        }
    }
}
