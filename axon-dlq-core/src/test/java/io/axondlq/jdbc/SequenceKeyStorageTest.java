package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.jdbc.JdbcDeadLetterStoreTest.OrderPlaced;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.Segment;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.Decisions;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.sql.DataSource;

import static io.axondlq.jdbc.JdbcDeadLetterStoreTest.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sequence identifiers the database could not hold as keys before (too long for the column or for PostgreSQL's index
 * row limit, holding U+0000 or a lone surrogate) and identifiers whose hash differs between JVMs: stored, found by the
 * parked-set query of the right segments, redeliverable by key. Written once, subclassed per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class SequenceKeyStorageTest {

    private static final DeadLetterLimits ROOMY = new DeadLetterLimits(1_000, 1_000);

    /** A stable toString, an identity hashCode: the key is stable, the hash is not. */
    static final class Lane {
        @Override
        public String toString() {
            return "lane";
        }
    }

    @TestDataSource
    DataSource dataSource;

    JdbcDeadLetterStore store;
    JdbcTemplate jdbc;
    String group;

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", ROOMY);
        jdbc = new JdbcTemplate(dataSource);
        group = "group-" + UUID.randomUUID();
    }

    static Stream<Arguments> awkwardIdentifiers() {
        return Stream.of(
                Arguments.of("2,000 characters", "k".repeat(2_000)),
                Arguments.of("1,000 emoji (4 bytes each)", "\uD83D\uDE00".repeat(1_000)),
                Arguments.of("1,000 different emoji", random(0x1F300, 0x1FAFF)),
                // PostgreSQL compresses a repetitive index entry: random characters make it 3,000 bytes
                Arguments.of("1,000 different CJK characters: fit the column, not PostgreSQL's index",
                             random(0x4E00, 0x9FFF)),
                Arguments.of("U+0000", "order\u00001"),
                Arguments.of("a lone surrogate", "order-\uD800"),
                Arguments.of("a record printing 3,000 characters", new OrderPlaced("o".repeat(3_000), 1)));
    }

    private static String random(int fromCodePoint, int toCodePoint) {
        StringBuilder random = new StringBuilder();
        new SplittableRandom(7).ints(1_000, fromCodePoint, toCodePoint).forEach(random::appendCodePoint);
        return random.toString();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("awkwardIdentifiers")
    void awkwardIdentifierIsStoredFoundAndRedeliverable(String name, Object id) {
        store.enqueue(group, LetterDraft.failed(id, event(new OrderPlaced("head", 0)),
                                                new IllegalStateException("boom"), List.of()));
        boolean[] appended = store.appendIfParked(group, List.of(
                LetterDraft.parked(id, event(new OrderPlaced("follower", 1)))));

        assertThat(appended).containsExactly(true);
        String key = store.sequenceKey(id);
        assertThat(key.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(SequenceKeys.MAX_KEY_BYTES);
        assertThat(key).doesNotContain("\u0000");
        assertThat(store.sequences(group, 10, null).items())
                .singleElement().satisfies(s -> assertThat(s.sequenceKey()).isEqualTo(key));
        assertThat(store.sequenceSize(group, key)).isEqualTo(2);
        assertThat(store.sequenceLetters(group, key, -1, 10))
                .extracting(l -> ((OrderPlaced) l.message().getPayload()).orderId())
                .containsExactly("head", "follower");
        assertFoundByItsSegmentOnly(id, key);

        SequenceClaim claim = store.claim(group, key, Duration.ofMinutes(1)).orElseThrow();
        store.release(claim);
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        assertThat(payloads(queue.deadLetterSequence(id))).containsExactly("head", "follower");
        List<String> redelivered = new ArrayList<>();
        assertThat(queue.process(letter -> true, letter -> {
            redelivered.add(((OrderPlaced) letter.message().getPayload()).orderId());
            return Decisions.evict();
        })).isTrue();
        assertThat(redelivered).containsExactly("head", "follower");
        assertThat(store.contains(group, key)).isFalse();
        assertThat(store.size(group)).isZero();
    }

    private void assertFoundByItsSegmentOnly(Object id, String key) {
        for (int splits : List.of(0, 1, 7)) {
            for (Segment segment : Segment.splitBalanced(Segment.ROOT_SEGMENT, splits)) {
                assertThat(store.parkedSequenceKeys(group, segment.getSegmentId(), segment.getMask()).contains(key))
                        .as("segment %s", segment).isEqualTo(segment.matches(id.hashCode()));
            }
        }
    }

    public record Account(String tenant, Map<String, String> attributes) {
    }

    /** Each identifier with an equal one that iterates in reverse: what {@code Map.of} may print in another JVM. */
    static Stream<Arguments> equalIdentifiersPrintedInAnotherOrder() {
        Map<String, String> map = Map.of("tenant", "t1", "account", "a7", "region", "eu");
        List<Map.Entry<String, String>> entries = new ArrayList<>(map.entrySet());
        Collections.reverse(entries);
        Map<String, String> reversed = new LinkedHashMap<>();
        entries.forEach(e -> reversed.put(e.getKey(), e.getValue()));
        Set<String> set = Set.of("t1", "a7", "eu");
        List<String> elements = new ArrayList<>(set);
        Collections.reverse(elements);
        return Stream.of(Arguments.of("a map", map, reversed),
                         Arguments.of("a record holding a map", new Account("t1", map), new Account("t1", reversed)),
                         Arguments.of("a set", set, new LinkedHashSet<>(elements)));
    }

    /**
     * {@code Map.of} prints in an order drawn per JVM, a {@code LinkedHashMap} in insertion order: equal identifiers
     * printed differently, as after a restart, are one sequence, found by the segment of their (equal) hash (I2).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("equalIdentifiersPrintedInAnotherOrder")
    void equalIdentifiersPrintedInAnotherOrderAreOneSequence(String name, Object id, Object printedOtherwise) {
        assertThat(printedOtherwise).isEqualTo(id).hasSameHashCodeAs(id);
        assertThat(printedOtherwise.toString()).as("the premise").isNotEqualTo(id.toString());
        store.enqueue(group, LetterDraft.failed(id, event(new OrderPlaced("head", 0)),
                                                new IllegalStateException("boom"), List.of()));

        assertThat(store.appendIfParked(group, List.of(
                LetterDraft.parked(printedOtherwise, event(new OrderPlaced("follower", 1)))))).containsExactly(true);
        String key = store.sequenceKey(id);
        assertThat(store.sequenceKey(printedOtherwise)).isEqualTo(key);
        assertThat(store.sequences(group, 10, null).items())
                .singleElement().satisfies(s -> assertThat(s.sequenceKey()).isEqualTo(key));
        assertThat(store.sequenceSize(group, key)).isEqualTo(2);
        assertFoundByItsSegmentOnly(printedOtherwise, key);
    }

    @Test
    void sequencesWhoseHashDiffersBetweenJvmsAreFoundByEverySegment() {
        // A set of identity-hashed elements hashes differently per JVM too.
        List<Object> unstable = List.of(new Object(), new Lane(), Thread.State.NEW, Set.of(new Lane()));
        unstable.forEach(id -> store.enqueue(group, JdbcDeadLetterStoreTest.parked(id)));
        store.enqueue(group, JdbcDeadLetterStoreTest.parked("order-1"));
        String stable = store.sequenceKey("order-1");

        for (int splits : List.of(0, 1, 7)) {
            for (Segment segment : Segment.splitBalanced(Segment.ROOT_SEGMENT, splits)) {
                List<String> expected = new ArrayList<>(unstable.stream().map(store::sequenceKey).toList());
                if (segment.matches("order-1".hashCode())) {
                    expected.add(stable);
                }
                assertThat(store.parkedSequenceKeys(group, segment.getSegmentId(), segment.getMask()))
                        .as("segment %s", segment).containsExactlyInAnyOrderElementsOf(expected);
            }
        }
        // Another instance (in another JVM: another hash) is the same sequence.
        assertThat(store.appendIfParked(group, List.of(JdbcDeadLetterStoreTest.parked(new Object()),
                                                       JdbcDeadLetterStoreTest.parked(new Lane()))))
                .containsExactly(true, true);
        assertThat(store.sequenceCount(group)).isEqualTo(5);
    }

    @Test
    void aHashCollisionNeverMergesTwoSequences() {
        String id = "c".repeat(2_000);
        store.enqueue(group, JdbcDeadLetterStoreTest.parked(id));
        String key = store.sequenceKey(id);
        assertThat(key).startsWith(SequenceKeys.HASHED_PREFIX);
        // As if another identifier had produced the same hash first.
        jdbc.update("UPDATE axon_dlq_sequence SET full_key = ? WHERE processing_group = ?", "d".repeat(2_000),
                    group);

        assertThat(store.appendIfParked(group, List.of(JdbcDeadLetterStoreTest.parked(id))))
                .as("not appended to the other identifier's sequence").containsExactly(false);
        assertThatThrownBy(() -> store.enqueue(group, JdbcDeadLetterStoreTest.parked(id)))
                .isInstanceOfSatisfying(SequenceKeyCollisionException.class,
                                        e -> assertThat(e.sequenceKey()).isEqualTo(key));
        assertThat(store.sequenceSize(group, key)).isEqualTo(1);
    }

    @Test
    void aCustomEncodersOversizeKeyIsHashedToo() {
        JdbcDeadLetterStore custom = JdbcDeadLetterStore.builder()
                                                        .dataSource(dataSource)
                                                        .eventSerializer(JacksonSerializer.defaultSerializer())
                                                        .genericSerializer(JacksonSerializer.defaultSerializer())
                                                        .sequenceKeyEncoder(id -> "x".repeat(5_000) + id)
                                                        .build();
        custom.enqueue(group, JdbcDeadLetterStoreTest.parked("a"));
        custom.enqueue(group, JdbcDeadLetterStoreTest.parked("b"));

        assertThat(custom.sequenceKey("a")).startsWith(SequenceKeys.HASHED_PREFIX)
                                           .isNotEqualTo(custom.sequenceKey("b"));
        assertThat(custom.sequenceCount(group)).isEqualTo(2);
    }

    private static List<String> payloads(Iterable<? extends DeadLetter<? extends EventMessage<?>>> letters) {
        return StreamSupport.stream(letters.spliterator(), false)
                            .map(l -> ((OrderPlaced) l.message().getPayload()).orderId()).toList();
    }
}
