package io.axondlq.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.AutomaticRetryState;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.EnqueuedHour;
import io.axondlq.core.store.FailureGroup;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.LeaseLostException;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.SequenceSummary;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.GenericTrackedDomainEventMessage;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.deadletter.Cause;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;
import org.axonframework.messaging.deadletter.Decisions;
import org.axonframework.messaging.deadletter.EnqueueDecision;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.deadletter.NoSuchDeadLetterException;
import org.axonframework.messaging.deadletter.ThrowableCause;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.transaction.UnexpectedRollbackException;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;
import javax.sql.DataSource;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The store's own suite, beyond Axon's contract: the cases Axon's JDBC queue gets wrong, operator queries, leases,
 * limits, concurrency and statement counts. Written once, subclassed per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class JdbcDeadLetterStoreTest {

    private static final JacksonSerializer SERIALIZER = JacksonSerializer.defaultSerializer();
    private static final DeadLetterLimits ROOMY = new DeadLetterLimits(20_000, 20_000);
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final int APPEND_BATCH = 500;

    @TestDataSource
    DataSource dataSource;

    @TestDataSource
    TestDatabase database;

    @TestDataSource
    CountingDataSource counting;

    JdbcDeadLetterStore store;
    JdbcTemplate jdbc;
    String group;

    public record OrderPlaced(String orderId, int line) {
    }

    public record OrderCancelled(String orderId) {
    }

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        store = storeOn(dataSource, "node-a", ROOMY);
        jdbc = new JdbcTemplate(dataSource);
        // A fresh group per test isolates tests sharing the class's database.
        group = "group-" + UUID.randomUUID();
    }

    @AfterEach
    void resetClock() {
        GenericDeadLetter.clock = Clock.systemUTC();
    }

    // --- 1. deadLetterSequence() past Axon's paging bug --------------------------------------------------------

    @Test
    void deadLetterSequenceOf150LettersReturnsEachLetterOnceInOrder() {
        assertSequenceReadBackInOrder(150);
    }

    @Test
    void deadLetterSequenceOf10000LettersReturnsEachLetterOnceInOrder() {
        assertSequenceReadBackInOrder(10_000);
    }

    private void assertSequenceReadBackInOrder(int size) {
        String sequenceId = "aggregate-" + size;
        List<String> inserted = fillSequence(group, sequenceId, size);
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);

        List<String> read = new ArrayList<>(size);
        long previousIndex = -1;
        for (DeadLetter<? extends EventMessage<?>> letter : queue.deadLetterSequence(sequenceId)) {
            read.add(letter.message().getIdentifier());
            long index = ((StoredLetter) letter).sequenceIndex();
            assertThat(index).isGreaterThan(previousIndex);
            previousIndex = index;
        }

        assertThat(read).hasSize(size).doesNotHaveDuplicates().containsExactlyElementsOf(inserted);
        assertThat(queue.sequenceSize(sequenceId)).isEqualTo(size);
        assertThat(queue.size()).isEqualTo(size);
    }

    // --- 2. a NAMED sequence among 10,000 ---------------------------------------------------------------------

    @Test
    void processFindsTheNamedSequenceAmongTenThousand() {
        int sequences = 10_000;
        int target = 7_777;
        bulkLoadOneLetterSequences(group, sequences);
        String targetEventId = "event-" + target;
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        assertThat(queue.amountOfSequences()).isEqualTo(sequences);

        // A named claim, as the REST API does it, reaches any sequence directly.
        String targetKey = store.sequenceKey("order-" + target);
        SequenceClaim claim = store.claim(group, targetKey, Duration.ofMinutes(1)).orElseThrow();
        assertThat(store.sequence(group, targetKey).orElseThrow().claimedBy()).isEqualTo(claim.owner());
        store.release(claim);

        List<String> processed = new ArrayList<>();
        boolean result = queue.process(letter -> letter.message().getIdentifier().equals(targetEventId),
                                       letter -> {
                                           processed.add(letter.message().getIdentifier());
                                           return Decisions.evict();
                                       });

        assertThat(result).isTrue();
        assertThat(processed).containsExactly(targetEventId);
        assertThat(queue.contains("order-" + target)).isFalse();
        assertThat(queue.amountOfSequences()).isEqualTo(sequences - 1);
        assertThat(queue.size()).isEqualTo(sequences - 1);
    }

    // --- 3. collision-free sequence keys -----------------------------------------------------------------------

    @Test
    void longsWithTheSameHashCodeAreDistinctSequences() {
        Long zero = 0L;
        Long colliding = 0x100000001L;
        assertThat(zero.hashCode()).isEqualTo(colliding.hashCode()); // the case Axon's JDBC queue merges
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);

        String zeroEvent = enqueueViaQueue(queue, zero, "zero");
        String collidingEvent1 = enqueueViaQueue(queue, colliding, "colliding-1");
        String collidingEvent2 = enqueueViaQueue(queue, colliding, "colliding-2");

        assertThat(store.sequenceKey(zero)).isNotEqualTo(store.sequenceKey(colliding));
        assertThat(queue.contains(zero)).isTrue();
        assertThat(queue.contains(colliding)).isTrue();
        assertThat(queue.amountOfSequences()).isEqualTo(2);
        assertThat(queue.sequenceSize(zero)).isEqualTo(1);
        assertThat(queue.sequenceSize(colliding)).isEqualTo(2);
        assertThat(eventIds(queue.deadLetterSequence(zero))).containsExactly(zeroEvent);
        assertThat(eventIds(queue.deadLetterSequence(colliding))).containsExactly(collidingEvent1, collidingEvent2);
    }

    @Test
    void stringLongAndIntegerWithTheSameDigitsAreDistinctSequences() {
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        String asString = enqueueViaQueue(queue, "42", "string");
        String asLong = enqueueViaQueue(queue, 42L, "long");
        String asInteger = enqueueViaQueue(queue, 42, "integer");

        assertThat(Set.of(store.sequenceKey("42"), store.sequenceKey(42L), store.sequenceKey(42))).hasSize(3);
        assertThat(queue.amountOfSequences()).isEqualTo(3);
        assertThat(eventIds(queue.deadLetterSequence("42"))).containsExactly(asString);
        assertThat(eventIds(queue.deadLetterSequence(42L))).containsExactly(asLong);
        assertThat(eventIds(queue.deadLetterSequence(42))).containsExactly(asInteger);
        // Strings stay readable in the REST API.
        assertThat(store.sequenceKey("42")).isEqualTo("42");
    }

    @Test
    void stringsThatLookLikeTypedKeysRoundTripSeparately() {
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        String lookalike = store.sequenceKey(42L); // the typed encoding, used as a plain String id
        String tilde = "~";

        String lookalikeEvent = enqueueViaQueue(queue, lookalike, "lookalike");
        assertThat(queue.contains(42L)).isFalse();
        String longEvent = enqueueViaQueue(queue, 42L, "long");
        String tildeEvent = enqueueViaQueue(queue, tilde, "tilde");

        assertThat(store.sequenceKey(lookalike)).isNotEqualTo(store.sequenceKey(42L)).startsWith("~~");
        assertThat(queue.amountOfSequences()).isEqualTo(3);
        assertThat(eventIds(queue.deadLetterSequence(lookalike))).containsExactly(lookalikeEvent);
        assertThat(eventIds(queue.deadLetterSequence(42L))).containsExactly(longEvent);
        assertThat(eventIds(queue.deadLetterSequence(tilde))).containsExactly(tildeEvent);
        assertThat(store.letters(group, LetterFilter.none().withSequenceKey(store.sequenceKey(lookalike)), 10, null)
                        .items())
                .extracting(l -> l.event().eventIdentifier()).containsExactly(lookalikeEvent);
    }

    // --- 4. oversize causes ----------------------------------------------------------------------------------

    @Test
    void hundredThousandCharacterCauseIsStoredTruncated() {
        String huge = "x".repeat(100_000);
        IllegalStateException cause = new IllegalStateException(huge);
        UUID id = store.enqueue(group, LetterDraft.failed("huge", event(new OrderPlaced("o", 1)), cause,
                                                          List.of(AttemptRecord.of(1, T0, "node-a", cause))));

        StoredLetter letter = store.letter(id).orElseThrow();
        Cause stored = letter.cause().orElseThrow();
        assertThat(stored.type()).isEqualTo(IllegalStateException.class.getName());
        assertThat(stored.message()).hasSize(1023).isEqualTo(huge.substring(0, 1023));
        assertThat(letter.causeStackTrace()).get(STRING)
                                            .hasSizeLessThanOrEqualTo(16_384)
                                            .startsWith(IllegalStateException.class.getName() + ": xxx");
        assertThat(store.attempts(id)).singleElement()
                                      .satisfies(a -> assertThat(a.causeMessage()).hasSize(1023));
        Integer storedLength = jdbc.queryForObject(
                "SELECT LENGTH(cause_stack_trace) FROM axon_dlq_letter WHERE letter_id = ?", Integer.class, id);
        assertThat(storedLength).isLessThanOrEqualTo(16_384).isGreaterThan(1023);
    }

    @Test
    void hundredThousandCharacterCauseThroughAxonsApiIsStoredTruncated() {
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        queue.enqueue("huge", new GenericDeadLetter<>("huge", event(new OrderPlaced("o", 1)),
                                                      new RuntimeException("y".repeat(100_000))));

        DeadLetter<? extends EventMessage<?>> letter = queue.deadLetterSequence("huge").iterator().next();
        assertThat(letter.cause().orElseThrow().message()).hasSize(1023);
    }

    // --- 5. undeserializable payloads -------------------------------------------------------------------------

    @Test
    void letterWhosePayloadClassIsGoneStaysListableAndFailsTypedOnRead() {
        String missingType = "com.example.removed.LegacyOrderEvent";
        EventMessage<?> event = event(new OrderPlaced("legacy", 7));
        UUID id = store.enqueue(group, LetterDraft.failed("legacy", event, new IllegalStateException("boom"),
                                                          List.of()));
        EventMessage<?> follower = event(new OrderPlaced("legacy", 8));
        store.appendIfParked(group, List.of(LetterDraft.parked("legacy", follower)));
        byte[] originalBytes = store.letter(id).orElseThrow().event().payload();
        int updated = jdbc.update("UPDATE axon_dlq_letter SET payload_type = ? WHERE letter_id = ?", missingType, id);
        assertThat(updated).isEqualTo(1);

        Page<StoredLetter> page = store.letters(group, LetterFilter.none(), 10, null);
        assertThat(page.items()).hasSize(2);
        StoredLetter listed = page.items().stream().filter(l -> l.id().equals(id)).findFirst().orElseThrow();
        assertThat(listed.event().payloadType()).isEqualTo(missingType);
        assertThat(listed.event().payload()).isEqualTo(originalBytes);
        assertThat(new String(listed.event().payload(), UTF_8)).contains("legacy");

        StoredLetter byId = store.letter(id).orElseThrow();
        assertThatThrownBy(byId::message)
                .isInstanceOfSatisfying(UndeserializableLetterException.class, e -> {
                    assertThat(e.letterId()).isEqualTo(id);
                    assertThat(e.payloadType()).isEqualTo(missingType);
                })
                .hasMessageContaining(missingType)
                .hasMessageContaining(id.toString());

        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        List<DeadLetter<? extends EventMessage<?>>> sequence = new ArrayList<>();
        queue.deadLetterSequence("legacy").forEach(sequence::add);
        assertThat(sequence).hasSize(2);
        assertThatThrownBy(() -> sequence.get(0).message()).isInstanceOf(UndeserializableLetterException.class);
        // Only the broken letter is affected; its follower still reads.
        assertThat(sequence.get(1).message().getIdentifier()).isEqualTo(follower.getIdentifier());
        assertThat(store.evictLetter(id)).isEqualTo(1);
    }

    @Test
    void metadataOfALetterWhosePayloadClassIsGoneStillReads() {
        MetaData metaData = MetaData.with("tenant", "t1").and("secret", "s3cr3t");
        EventMessage<?> event = GenericEventMessage.asEventMessage(new OrderPlaced("legacy", 7)).andMetaData(metaData);
        UUID id = store.enqueue(group, LetterDraft.failed("legacy", event, new IllegalStateException("boom"),
                                                          List.of()));
        jdbc.update("UPDATE axon_dlq_letter SET payload_type = 'com.example.removed.Gone' WHERE letter_id = ?", id);

        StoredLetter letter = store.letter(id).orElseThrow();
        assertThatThrownBy(letter::message).isInstanceOf(UndeserializableLetterException.class);
        // Views mask metadata keys in it, so it must not take the payload down with it.
        assertThat(letter.metaData()).isEqualTo(metaData);

        jdbc.update("UPDATE axon_dlq_letter SET meta_data = ? WHERE letter_id = ?", new byte[]{1, 2, 3}, id);
        assertThatThrownBy(() -> store.letter(id).orElseThrow().metaData())
                .isInstanceOfSatisfying(UndeserializableLetterException.class,
                                        e -> assertThat(e.letterId()).isEqualTo(id));
    }

    /**
     * Diagnostics the store cannot read (written under another general serializer) are shown as a stand-in; a failed
     * redelivery's requeue must keep the stored ones rather than write the stand-in over them (failed before on both
     * databases: the stored bytes were replaced).
     */
    @Test
    void aRequeueKeepsStoredDiagnosticsItCouldNotRead() {
        UUID id = store.enqueue(group, LetterDraft.failed("diag", event(new OrderPlaced("d", 1)),
                                                          new IllegalStateException("boom"), List.of()));
        byte[] unreadable = {1, 2, 3};
        jdbc.update("UPDATE axon_dlq_letter SET diagnostics = ? WHERE letter_id = ?", unreadable, id);
        StoredLetter letter = store.letter(id).orElseThrow();
        assertThat(letter.diagnostics()).containsOnlyKeys("unreadableDiagnostics");

        assertThat(store.requeue(letter.withCause(new IllegalStateException("again")), null)).isTrue();

        assertThat(jdbc.queryForObject("SELECT diagnostics FROM axon_dlq_letter WHERE letter_id = ?", byte[].class, id))
                .as("the stored diagnostics").isEqualTo(unreadable);
        StoredLetter requeued = store.letter(id).orElseThrow();
        assertThat(requeued.attempts()).isEqualTo(letter.attempts() + 1);
        assertThat(requeued.cause()).map(c -> c.message()).contains("again");
    }

    @Test
    void attemptHistoriesOfManyLettersAreReadInOneStatementPerChunk() {
        IllegalStateException cause = new IllegalStateException("broke");
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            List<AttemptRecord> history = i % 3 == 0 ? List.of()
                    : List.of(AttemptRecord.of(1, T0, "node-a", cause), AttemptRecord.of(2, T0, "node-b", cause));
            ids.add(store.enqueue(group, LetterDraft.failed("k-" + i, event(new OrderPlaced("o" + i, i)), cause,
                                                            history)));
        }
        UUID unknown = UUID.randomUUID();
        List<UUID> asked = new ArrayList<>(ids);
        asked.add(7, unknown);
        JdbcDeadLetterStore counted = storeOn(counting, "node-a", ROOMY);

        counting.reset();
        Map<UUID, List<AttemptRecord>> histories = counted.attempts(asked);
        assertThat(counting.count()).as("one statement for 31 letters").isEqualTo(1);

        assertThat(histories.keySet()).containsExactlyElementsOf(asked);
        assertThat(histories.get(unknown)).isEmpty();
        for (UUID id : ids) {
            assertThat(histories.get(id)).as("the same as one letter's history")
                                         .isEqualTo(store.attempts(id));
        }
        assertThat(histories.get(ids.get(1))).extracting(AttemptRecord::node).containsExactly("node-a", "node-b");
        assertThat(histories.get(ids.get(0))).isEmpty();
        counting.reset();
        assertThat(counted.attempts(List.of())).isEmpty();
        assertThat(counting.count()).isZero();
    }

    // --- 6. concurrency ---------------------------------------------------------------------------------------

    @Test
    void concurrentEnqueuesIntoOneSequenceLoseNothingAndNeverDuplicateAnIndex() throws Exception {
        int threads = 8;
        int perThread = 50;
        Set<UUID> ids = runConcurrently(threads, thread -> {
            List<UUID> mine = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                mine.add(store.enqueue(group, LetterDraft.parked("hot", event(new OrderPlaced("t" + thread, i)))));
            }
            return mine;
        });

        int total = threads * perThread;
        String key = store.sequenceKey("hot");
        assertThat(ids).hasSize(total);
        assertThat(store.sequenceSize(group, key)).isEqualTo(total);
        Map<String, Object> stats = jdbc.queryForMap(
                "SELECT COUNT(*) AS letters, COUNT(DISTINCT sequence_index) AS indexes, MIN(sequence_index) AS lo, "
                        + "MAX(sequence_index) AS hi FROM axon_dlq_letter "
                        + "WHERE processing_group = ? AND sequence_key = ?", group, key);
        assertThat(((Number) stats.get("letters")).intValue()).isEqualTo(total);
        assertThat(((Number) stats.get("indexes")).intValue()).isEqualTo(total);
        assertThat(((Number) stats.get("lo")).longValue()).isZero();
        assertThat(((Number) stats.get("hi")).longValue()).isEqualTo(total - 1);
        assertThat(jdbc.queryForObject("SELECT letter_count FROM axon_dlq_sequence "
                                               + "WHERE processing_group = ? AND sequence_key = ?",
                                       Integer.class, group, key)).isEqualTo(total);
    }

    @Test
    void threadsRacingToStartTheSameSequenceCreateOneSequenceWithEveryLetter() throws Exception {
        int threads = 8;
        Set<UUID> ids = runConcurrently(threads, thread -> List.of(store.enqueue(
                group, LetterDraft.failed("contested", event(new OrderPlaced("c", thread)),
                                          new IllegalStateException("t" + thread), List.of()))));

        assertThat(ids).hasSize(threads);
        assertThat(store.sequenceCount(group)).isEqualTo(1);
        assertThat(store.sequenceSize(group, store.sequenceKey("contested"))).isEqualTo(threads);
        List<StoredLetter> letters = store.sequenceLetters(group, store.sequenceKey("contested"), -1, 100);
        assertThat(letters).extracting(StoredLetter::id).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(letters).extracting(StoredLetter::sequenceIndex)
                           .containsExactlyElementsOf(IntStream.range(0, threads).mapToObj(i -> (long) i).toList());
    }

    private Set<UUID> runConcurrently(int threads, Function<Integer, List<UUID>> work) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<List<UUID>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(executor.submit(() -> {
                    start.await();
                    return work.apply(thread);
                }));
            }
            start.countDown();
            Set<UUID> all = new HashSet<>();
            for (Future<List<UUID>> future : futures) {
                all.addAll(future.get(2, TimeUnit.MINUTES));
            }
            return all;
        } finally {
            executor.shutdownNow();
        }
    }

    // --- 7. operator queries ----------------------------------------------------------------------------------

    @Test
    void letterPagesCoverEveryLetterExactlyOnceInListingOrder() {
        List<UUID> all = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            setClock(T0.plusSeconds(s));
            all.addAll(enqueueSequence(group, "seq-" + s, 1 + s * 2)); // letters of a sequence share enqueued_at
        }

        List<StoredLetter> seen = pageAllLetters(group, LetterFilter.none(), 4);

        assertThat(seen).extracting(StoredLetter::id).doesNotHaveDuplicates()
                        .containsExactlyInAnyOrderElementsOf(all);
        for (int i = 1; i < seen.size(); i++) {
            StoredLetter a = seen.get(i - 1);
            StoredLetter b = seen.get(i);
            assertThat(a.enqueuedAt()).isBeforeOrEqualTo(b.enqueuedAt());
        }
    }

    @Test
    void letterPagingIsStableWhenLettersArriveBetweenPages() {
        setClock(T0);
        List<UUID> initial = new ArrayList<>();
        for (int s = 0; s < 4; s++) {
            initial.addAll(enqueueSequence(group, "seq-" + s, 5));
        }
        List<UUID> seen = new ArrayList<>();
        Page<StoredLetter> page = store.letters(group, LetterFilter.none(), 6, null);
        page.items().forEach(l -> seen.add(l.id()));

        int arrivals = 0;
        while (page.nextCursor() != null) {
            // Newcomers, into an existing sequence and into new ones, enqueued after the listing began.
            setClock(T0.plusSeconds(10 + arrivals));
            store.appendIfParked(group, List.of(LetterDraft.parked("seq-0", event(new OrderPlaced("late", arrivals)))));
            enqueueSequence(group, "new-" + arrivals, 2);
            arrivals++;
            page = store.letters(group, LetterFilter.none(), 6, page.nextCursor());
            page.items().forEach(l -> seen.add(l.id()));
        }

        assertThat(seen).doesNotHaveDuplicates().containsAll(initial);
        assertThat(arrivals).isGreaterThan(1);
        assertThat(store.size(group)).isEqualTo(initial.size() + 3L * arrivals);
    }

    @Test
    void letterFiltersNarrowTheListing() {
        setClock(T0);
        UUID a = store.enqueue(group, LetterDraft.failed("a", event(new OrderPlaced("a", 1)),
                                                         new IllegalStateException("a"), List.of()));
        setClock(T0.plusSeconds(10));
        UUID aFollower = store.enqueue(group, LetterDraft.parked("a", event(new OrderCancelled("a"))));
        setClock(T0.plusSeconds(20));
        UUID b = store.enqueue(group, LetterDraft.failed("b", event(new OrderCancelled("b")),
                                                         new IllegalArgumentException("b"), List.of()));
        setClock(T0.plusSeconds(30));
        UUID c = store.enqueue(group, LetterDraft.failed("c", event(new OrderPlaced("c", 1)),
                                                         new IllegalStateException("c"), List.of()));

        assertThat(ids(pageAllLetters(group, LetterFilter.none().withSequenceKey(store.sequenceKey("a")), 1)))
                .containsExactly(a, aFollower);
        assertThat(ids(pageAllLetters(group, new LetterFilter(null, IllegalStateException.class.getName(), null,
                                                              null, null), 1)))
                .containsExactly(a, c);
        assertThat(ids(pageAllLetters(group, new LetterFilter(null, null, OrderCancelled.class.getName(), null,
                                                              null), 1)))
                .containsExactly(aFollower, b);
        assertThat(ids(pageAllLetters(group, new LetterFilter(null, null, null, T0.plusSeconds(10), null), 1)))
                .containsExactly(aFollower, b, c);
        assertThat(ids(pageAllLetters(group, new LetterFilter(null, null, null, null, T0.plusSeconds(20)), 1)))
                .containsExactly(a, aFollower);
        assertThat(ids(pageAllLetters(group, new LetterFilter(null, null, null, T0.plusSeconds(10),
                                                              T0.plusSeconds(30)), 1)))
                .containsExactly(aFollower, b);
        assertThat(ids(pageAllLetters(group, new LetterFilter(store.sequenceKey("a"),
                                                              IllegalStateException.class.getName(),
                                                              OrderPlaced.class.getName(), T0, T0.plusSeconds(1)),
                                      10)))
                .containsExactly(a);
        assertThat(store.letters(group, new LetterFilter(null, "no.such.Exception", null, null, null), 10, null)
                        .items()).isEmpty();
    }

    @Test
    void forgedCursorsAndBadLimitsAreRejected() {
        enqueueSequence(group, "s", 3);
        enqueueSequence(group, "t", 1);
        String lettersCursor = store.letters(group, LetterFilter.none(), 1, null).nextCursor();
        String sequencesCursor = store.sequences(group, 1, null).nextCursor();
        assertThat(lettersCursor).isNotNull();
        assertThat(sequencesCursor).isNotNull();

        List<String> forged = List.of(
                "garbage!!", "",
                b64("L|1|2"),
                b64("L|abc|0|" + UUID.randomUUID()),
                b64("L|1|0|not-a-uuid"),
                b64("L|99999999999999|0|" + UUID.randomUUID()), // past any database's timestamp range
                b64("X|1|0|" + UUID.randomUUID()),
                sequencesCursor);
        for (String cursor : forged) {
            assertThatThrownBy(() -> store.letters(group, LetterFilter.none(), 10, cursor))
                    .as("cursor [%s]", cursor)
                    .isInstanceOf(InvalidCursorException.class);
        }
        assertThatThrownBy(() -> store.sequences(group, 10, lettersCursor)).isInstanceOf(InvalidCursorException.class);
        assertThatThrownBy(() -> store.claimableHeads(group, 10, lettersCursor))
                .isInstanceOf(InvalidCursorException.class);
        assertThatThrownBy(() -> store.claimableHeads(group, 10, b64("H|99999999999999|0|k")))
                .isInstanceOf(InvalidCursorException.class);

        assertThatThrownBy(() -> store.letters(group, LetterFilter.none(), 0, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.sequences(group, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.claimableHeads(group, -1, null)).isInstanceOf(IllegalArgumentException.class);
        // The genuine cursors still work.
        assertThat(store.letters(group, LetterFilter.none(), 10, lettersCursor).items()).hasSize(3);
        assertThat(store.sequences(group, 10, sequencesCursor).items()).extracting(SequenceSummary::sequenceKey)
                                                                      .containsExactly("t");
    }

    @Test
    void sequencePagesShowSizeHeadAndClaim() {
        Map<String, List<UUID>> bySequence = new TreeMap<>();
        for (int s = 0; s < 5; s++) {
            bySequence.put("seq-" + s, enqueueSequence(group, "seq-" + s, s + 1));
        }

        List<SequenceSummary> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Page<SequenceSummary> page = store.sequences(group, 2, cursor);
            assertThat(page.items()).hasSizeLessThanOrEqualTo(2);
            seen.addAll(page.items());
            cursor = page.nextCursor();
            pages++;
        } while (cursor != null);

        assertThat(pages).isEqualTo(3);
        assertThat(seen).extracting(SequenceSummary::sequenceKey).containsExactlyElementsOf(bySequence.keySet());
        for (SequenceSummary summary : seen) {
            List<UUID> letters = bySequence.get(summary.sequenceKey());
            assertThat(summary.size()).isEqualTo(letters.size());
            assertThat(summary.headLetterId()).isEqualTo(letters.get(0));
            assertThat(summary.headCauseType()).isEqualTo(IllegalStateException.class.getName());
            assertThat(summary.headPayloadType()).isEqualTo(OrderPlaced.class.getName());
            assertThat(summary.claimedBy()).isNull();
            assertThat(summary.processingGroup()).isEqualTo(group);
        }

        SequenceClaim claim = store.claim(group, "seq-3", Duration.ofMinutes(5)).orElseThrow();
        SequenceSummary claimed = store.sequences(group, 10, null).items().stream()
                                       .filter(s -> s.sequenceKey().equals("seq-3")).findFirst().orElseThrow();
        assertThat(claimed.claimedBy()).isEqualTo(claim.owner()).startsWith("node-a/");
        assertThat(claimed.claimUntil()).isNotNull();
        store.release(claim);
        assertThat(store.sequence(group, "seq-3").orElseThrow().claimedBy()).isNull();
        assertThat(store.sequence(group, "absent")).isEmpty();
    }

    @Test
    void statisticsCoverSeveralGroupsInOneCall() {
        String other = "group-" + UUID.randomUUID();
        setClock(T0.plusSeconds(5));
        enqueueSequence(group, "a", 3);
        setClock(T0.plusSeconds(1));
        enqueueSequence(group, "b", 2);
        setClock(T0.plusSeconds(7));
        enqueueSequence(other, "c", 4);

        counting.reset();
        List<GroupStatistics> statistics = storeOn(counting, "node-a", ROOMY).statistics();
        assertThat(counting.count()).isEqualTo(1);

        assertThat(statistics).filteredOn(s -> s.processingGroup().equals(group)).singleElement()
                              .isEqualTo(new GroupStatistics(group, 5, 2, T0.plusSeconds(1), 3));
        assertThat(statistics).filteredOn(s -> s.processingGroup().equals(other)).singleElement()
                              .isEqualTo(new GroupStatistics(other, 4, 1, T0.plusSeconds(7), 4));
    }

    @Test
    void failureGroupsCountLettersPerCauseType() {
        setClock(T0);
        enqueueSequence(group, "a", 3); // IllegalStateException + 2 parked followers
        setClock(T0.plusSeconds(5));
        store.enqueue(group, LetterDraft.failed("b", event(new OrderPlaced("b", 1)),
                                                new IllegalArgumentException("b"), List.of()));
        setClock(T0.plusSeconds(9));
        store.enqueue(group, LetterDraft.failed("c", event(new OrderPlaced("c", 1)),
                                                new IllegalStateException("c"), List.of()));

        List<FailureGroup> groups = store.failureGroups(group);

        assertThat(groups).containsExactlyInAnyOrder(
                new FailureGroup(IllegalStateException.class.getName(), 2, T0, T0.plusSeconds(9)),
                new FailureGroup(null, 2, T0, T0),
                new FailureGroup(IllegalArgumentException.class.getName(), 1, T0.plusSeconds(5), T0.plusSeconds(5)));
        assertThat(store.failureGroups("group-" + UUID.randomUUID())).isEmpty();
    }

    @Test
    void enqueuedPerHourCountsHeldLettersPerGroupAndHourInOneQuery() {
        Instant hour = T0.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        String other = "group-" + UUID.randomUUID();
        setClock(hour.minusSeconds(1)); // before the first hour: not counted
        store.enqueue(group, LetterDraft.failed("early", event(new OrderPlaced("early", 1)),
                                                new IllegalStateException("early"), List.of()));
        setClock(hour);
        enqueueSequence(group, "a", 2); // a failure and a parked follower, both held
        setClock(hour.plusSeconds(2 * 3600 + 3599)); // last second of the third hour
        store.enqueue(group, LetterDraft.failed("b", event(new OrderPlaced("b", 1)),
                                                new IllegalStateException("b"), List.of()));
        setClock(hour.plusSeconds(3600 + 1));
        store.enqueue(other, LetterDraft.failed("c", event(new OrderPlaced("c", 1)),
                                                new IllegalArgumentException("c"), List.of()));
        counting.reset();

        List<EnqueuedHour> hours = storeOn(counting, "node-a", ROOMY).enqueuedPerHour(hour);

        assertThat(counting.count()).isEqualTo(1);
        assertThat(hours.stream().filter(h -> h.processingGroup().equals(group)
                || h.processingGroup().equals(other)).toList())
                .containsExactlyInAnyOrder(new EnqueuedHour(group, hour, 2),
                                           new EnqueuedHour(group, hour.plusSeconds(2 * 3600), 1),
                                           new EnqueuedHour(other, hour.plusSeconds(3600), 1));
        // a letter redelivered (removed) is no longer counted
        store.remove(store.letters(other, LetterFilter.none(), 10, null).items().get(0));
        assertThat(store.enqueuedPerHour(hour)).noneMatch(h -> h.processingGroup().equals(other));
    }

    @Test
    void everyStoredFieldRoundTrips() {
        setClock(T0);
        MetaData metaData = MetaData.with("correlationId", "corr-1").and("traceId", "trace-1").and("tenant", "t1");
        TrackedEventMessage<?> event = new GenericTrackedDomainEventMessage<>(
                new GlobalSequenceTrackingToken(42), new GenericDomainEventMessage<>(
                "Order", "order-9", 3, new OrderPlaced("order-9", 2), metaData));
        IllegalStateException cause = new IllegalStateException("handler broke");
        List<AttemptRecord> history = List.of(AttemptRecord.of(1, T0.minusSeconds(2), "node-a", cause),
                                              AttemptRecord.of(2, T0.minusSeconds(1), "node-b", cause));
        LetterDraft failed = LetterDraft.failed("order-9", event, cause, history);
        LetterDraft draft = new LetterDraft(failed.sequenceIdentifier(), failed.message(), failed.causeType(),
                                            failed.causeMessage(), failed.causeStackTrace(), failed.attempts(),
                                            failed.history(), MetaData.with("retries", 2), failed.enqueuedAt(),
                                            failed.lastTouched(), false);

        UUID id = store.enqueue(group, draft);
        StoredLetter letter = store.letter(id).orElseThrow();

        assertThat(letter.processingGroup()).isEqualTo(group);
        assertThat(letter.sequenceKey()).isEqualTo("order-9");
        assertThat(letter.sequenceIndex()).isZero();
        assertThat(letter.attempts()).isEqualTo(2);
        assertThat(letter.parked()).isFalse();
        assertThat(letter.enqueuedAt()).isEqualTo(T0);
        assertThat(letter.lastTouched()).isEqualTo(T0);
        assertThat(letter.cause()).contains(new ThrowableCause(IllegalStateException.class.getName(), "handler broke"));
        assertThat(letter.causeStackTrace()).get(STRING).contains("handler broke");
        assertThat(letter.diagnostics()).isEqualTo(MetaData.with("retries", 2));
        assertThat(letter.correlationId()).contains("corr-1");
        assertThat(letter.traceId()).contains("trace-1");
        assertThat(letter.event().aggregateType()).isEqualTo("Order");
        assertThat(letter.event().aggregateIdentifier()).isEqualTo("order-9");
        assertThat(letter.event().aggregateSequenceNumber()).isEqualTo(3L);
        assertThat(letter.event().tokenType()).isEqualTo(GlobalSequenceTrackingToken.class.getName());

        EventMessage<?> read = letter.message();
        assertThat(read).isInstanceOf(GenericTrackedDomainEventMessage.class);
        assertThat(read.getIdentifier()).isEqualTo(event.getIdentifier());
        assertThat(read.getPayload()).isEqualTo(new OrderPlaced("order-9", 2));
        assertThat(read.getMetaData()).isEqualTo(metaData);
        assertThat(read.getTimestamp()).isEqualTo(EventCodec.truncate(event.getTimestamp()));
        assertThat(((TrackedEventMessage<?>) read).trackingToken()).isEqualTo(new GlobalSequenceTrackingToken(42));
        assertThat(((GenericTrackedDomainEventMessage<?>) read).getSequenceNumber()).isEqualTo(3L);

        assertThat(store.attempts(id)).containsExactly(
                new AttemptRecord(1, T0.minusSeconds(2), "node-a", IllegalStateException.class.getName(),
                                  "handler broke"),
                new AttemptRecord(2, T0.minusSeconds(1), "node-b", IllegalStateException.class.getName(),
                                  "handler broke"));
    }

    // --- 8. eviction ------------------------------------------------------------------------------------------

    @Test
    void evictingLettersSequencesAndGroupsReturnsCounts() {
        String other = "group-" + UUID.randomUUID();
        setClock(T0);
        List<UUID> a = enqueueSequence(group, "a", 3);
        setClock(T0.plusSeconds(1));
        store.appendIfParked(group, List.of(LetterDraft.parked("a", event(new OrderPlaced("a", 9)))));
        List<UUID> b = enqueueSequence(group, "b", 4);
        enqueueSequence(group, "c", 2);
        enqueueSequence(other, "a", 5);

        // Evicting the head keeps the rest, and the sequence's oldest-enqueued mark moves on.
        assertThat(store.evictLetter(a.get(0))).isEqualTo(1);
        assertThat(store.evictLetter(a.get(0))).isZero();
        assertThat(store.evictLetter(UUID.randomUUID())).isZero();
        assertThat(store.contains(group, "a")).isTrue();
        assertThat(store.sequenceSize(group, "a")).isEqualTo(3);
        assertThat(store.sequenceLetters(group, "a", -1, 10)).extracting(StoredLetter::id)
                                                             .startsWith(a.get(1), a.get(2));
        SequenceSummary afterHead = store.sequence(group, "a").orElseThrow();
        assertThat(afterHead.headLetterId()).isEqualTo(a.get(1));
        assertThat(afterHead.size()).isEqualTo(3);

        assertThat(store.evictSequence(group, "b")).isEqualTo(b.size());
        assertThat(store.evictSequence(group, "b")).isZero();
        assertThat(store.contains(group, "b")).isFalse();
        assertThat(store.size(group)).isEqualTo(5);

        // The last letter going takes its sequence row with it.
        List<StoredLetter> c = store.sequenceLetters(group, "c", -1, 10);
        assertThat(store.evictLetter(c.get(0).id())).isEqualTo(1);
        assertThat(store.contains(group, "c")).isTrue();
        assertThat(store.evictLetter(c.get(1).id())).isEqualTo(1);
        assertThat(store.contains(group, "c")).isFalse();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_sequence WHERE processing_group = ? "
                                               + "AND sequence_key = ?", Integer.class, group, "c")).isZero();

        assertThat(store.evictGroup(group)).isEqualTo(3);
        assertThat(store.size(group)).isZero();
        assertThat(store.sequenceCount(group)).isZero();
        assertThat(store.evictGroup(group)).isZero();
        assertThat(store.size(other)).isEqualTo(5);
        assertThat(store.contains(other, "a")).isTrue();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE processing_group = ?",
                                       Integer.class, group)).isZero();
    }

    @Test
    void evictingALetterRemovesItsAttemptHistory() {
        IllegalStateException cause = new IllegalStateException("boom");
        UUID id = store.enqueue(group, LetterDraft.failed("h", event(new OrderPlaced("h", 1)), cause,
                                                          List.of(AttemptRecord.of(1, T0, "n", cause),
                                                                  AttemptRecord.of(2, T0, "n", cause))));
        assertThat(store.attempts(id)).hasSize(2);
        assertThat(store.evictLetter(id)).isEqualTo(1);
        assertThat(store.attempts(id)).isEmpty();
    }

    // --- 9. redelivery leases ---------------------------------------------------------------------------------

    @Test
    void claimsAreExclusiveUntilReleasedOrExpiredByTheDatabaseClock() {
        enqueueSequence(group, "leased", 2);
        JdbcDeadLetterStore nodeB = storeOn(dataSource, "node-b", ROOMY);

        // Node A's JVM clock is a day behind, node B's a day ahead: the lease is the database's all the same.
        setClock(Instant.now().minus(Duration.ofDays(1)));
        Instant before = databaseNow();
        SequenceClaim first = store.claim(group, "leased", Duration.ofMinutes(1)).orElseThrow();
        assertThat(first.until()).isBetween(before.plusSeconds(60), databaseNow().plusSeconds(60));
        assertThat(first.node()).isEqualTo("node-a");
        setClock(Instant.now().plus(Duration.ofDays(1)));
        assertThatThrownBy(() -> nodeB.claim(group, "leased", Duration.ofMinutes(1)))
                .isInstanceOfSatisfying(SequenceClaimedException.class, e -> {
                    assertThat(e.claimedBy()).isEqualTo(first.owner());
                    assertThat(e.claimUntil()).isEqualTo(first.until());
                })
                .hasMessageContaining("node-a");
        // Two claims from one node are distinct owners too.
        assertThatThrownBy(() -> store.claim(group, "leased", Duration.ofMinutes(1)))
                .isInstanceOf(SequenceClaimedException.class);
        assertThat(store.claimableHeads(group, 10, null).items()).isEmpty();
        assertThat(store.sequence(group, "leased").orElseThrow().claimedBy()).isEqualTo(first.owner());

        store.release(first);
        SequenceClaim second = nodeB.claim(group, "leased", Duration.ofMinutes(1)).orElseThrow();
        assertThat(second.owner()).startsWith("node-b/");
        assertThat(store.renew(first, Duration.ofMinutes(1))).isFalse();

        // Renew extends the lease past its original end, from the database's now.
        Instant beforeRenew = databaseNow();
        assertThat(nodeB.renew(second, Duration.ofMinutes(10))).isTrue();
        assertThat(store.sequence(group, "leased").orElseThrow().claimUntil())
                .isBetween(beforeRenew.plusSeconds(600), databaseNow().plusSeconds(600));
        assertThatThrownBy(() -> store.claim(group, "leased", Duration.ofMinutes(1)))
                .isInstanceOf(SequenceClaimedException.class);

        // Past the lease by the database's clock anyone may take over; the old owner's renew and release no longer
        // touch it.
        expireLease(group, "leased");
        assertThat(store.sequence(group, "leased").orElseThrow().claimedBy()).isNull();
        assertThat(store.claimableHeads(group, 10, null).items()).hasSize(1);
        SequenceClaim takeover = store.claim(group, "leased", Duration.ofMinutes(1)).orElseThrow();
        assertThat(nodeB.renew(second, Duration.ofMinutes(1))).isFalse();
        nodeB.release(second);
        assertThat(store.sequence(group, "leased").orElseThrow().claimedBy()).isEqualTo(takeover.owner());

        assertThat(store.claim(group, "no-such-sequence", Duration.ofMinutes(1))).isEmpty();
        assertThatThrownBy(() -> store.claim(group, "leased", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void removingALetterUnderALeaseIsFencedByIt() {
        List<UUID> ids = enqueueSequence(group, "fenced", 3);
        JdbcDeadLetterStore nodeB = storeOn(dataSource, "node-b", ROOMY);
        SequenceClaim claim = store.claim(group, "fenced", Duration.ofMinutes(1)).orElseThrow();
        StoredLetter head = store.letter(ids.get(0)).orElseThrow();
        Instant before = databaseNow();

        assertThat(store.removeLeased(claim, head, Duration.ofMinutes(5))).isEqualTo(2);
        SequenceSummary afterFirst = store.sequence(group, "fenced").orElseThrow();
        assertThat(afterFirst.size()).isEqualTo(2);
        assertThat(afterFirst.headLetterId()).isEqualTo(ids.get(1));
        assertThat(afterFirst.oldestEnqueuedAt()).isEqualTo(store.letter(ids.get(1)).orElseThrow().enqueuedAt());
        assertThat(afterFirst.claimUntil()).as("renewed").isAfterOrEqualTo(before.plusSeconds(300));

        // Taken over after expiry: the old holder's removal changes nothing, inside a transaction it rolls that back.
        expireLease(group, "fenced");
        SequenceClaim takeover = nodeB.claim(group, "fenced", Duration.ofMinutes(1)).orElseThrow();
        StoredLetter next = store.letter(ids.get(1)).orElseThrow();
        TransactionTemplate outer = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        assertThatThrownBy(() -> outer.executeWithoutResult(status -> {
            jdbc.update("UPDATE axon_dlq_letter SET cause_message = 'work under the lease' WHERE letter_id = ?",
                        ids.get(2));
            store.removeLeased(claim, next, Duration.ofMinutes(1));
        })).isInstanceOfSatisfying(LeaseLostException.class, e -> assertThat(e.claim()).isEqualTo(claim));
        assertThat(store.sequenceSize(group, "fenced")).isEqualTo(2);
        assertThat(store.letter(ids.get(1))).isPresent();
        assertThat(store.letter(ids.get(2)).orElseThrow().cause()).isEmpty();
        assertThat(store.sequence(group, "fenced").orElseThrow().claimedBy()).isEqualTo(takeover.owner());
        assertThatThrownBy(() -> store.removeLeased(takeover, head, Duration.ofMinutes(1)))
                .as("a letter of the sequence that is already gone")
                .isInstanceOf(NoSuchDeadLetterException.class);
        assertThat(store.sequenceSize(group, "fenced")).isEqualTo(2);

        // The new holder drains it; the last removal takes the sequence, and the lease, with it.
        assertThat(nodeB.removeLeased(takeover, next, Duration.ofMinutes(1))).isEqualTo(1);
        assertThat(nodeB.removeLeased(takeover, store.letter(ids.get(2)).orElseThrow(), Duration.ofMinutes(1)))
                .isZero();
        assertThat(store.contains(group, "fenced")).isFalse();
        assertThat(letterRows(group, "fenced")).isZero();
        assertThatThrownBy(() -> nodeB.removeLeased(takeover, next, Duration.ofMinutes(1)))
                .isInstanceOf(LeaseLostException.class);

        List<UUID> other = enqueueSequence(group, "other", 1);
        assertThatThrownBy(() -> store.removeLeased(claim, store.letter(other.get(0)).orElseThrow(),
                                                    Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void twoHoldersFailingTheSameLetterRecordOneAttempt() {
        List<UUID> ids = enqueueSequence(group, "failing", 2);
        StoredLetter head = store.letter(ids.get(0)).orElseThrow();
        int attemptsBefore = head.attempts();
        JdbcDeadLetterStore nodeB = storeOn(dataSource, "node-b", ROOMY);
        SequenceClaim slow = store.claim(group, "failing", Duration.ofMinutes(1)).orElseThrow();
        expireLease(group, "failing");
        SequenceClaim fast = nodeB.claim(group, "failing", Duration.ofMinutes(1)).orElseThrow();

        // Both failed the letter they read with the same attempt count: only the holder's failure is recorded.
        AttemptRecord next = new AttemptRecord(attemptsBefore + 1, Instant.now(), "n", "x.Y", "failed again");
        nodeB.requeueLeased(fast, head.withCause(new IllegalStateException("failed on B")), next,
                            Duration.ofMinutes(1));
        assertThatThrownBy(() -> store.requeueLeased(slow, head.withCause(new IllegalStateException("failed on A")),
                                                     next, Duration.ofMinutes(1)))
                .isInstanceOf(LeaseLostException.class);

        StoredLetter after = store.letter(head.id()).orElseThrow();
        assertThat(after.attempts()).isEqualTo(attemptsBefore + 1);
        assertThat(after.cause()).hasValueSatisfying(c -> assertThat(c.message()).isEqualTo("failed on B"));
        assertThat(store.attempts(head.id())).extracting(AttemptRecord::attempt).containsExactly(attemptsBefore + 1);

        // Unfenced requeues number history rows by the letter's own count, whatever number the caller passed.
        assertThat(store.requeue(after.withCause(new IllegalStateException("again")), next)).isTrue();
        assertThat(store.attempts(head.id())).extracting(AttemptRecord::attempt)
                                              .containsExactly(attemptsBefore + 1, attemptsBefore + 2);
        assertThatThrownBy(() -> nodeB.requeueLeased(fast, store.letter(ids.get(0)).orElseThrow(), null,
                                                     Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void claimableHeadsPageThroughUnclaimedSequencesHeadFirst() {
        Map<String, UUID> heads = new HashMap<>();
        for (int s = 0; s < 7; s++) {
            setClock(T0.plusSeconds(s));
            heads.put("seq-" + s, enqueueSequence(group, "seq-" + s, 3).get(0));
        }
        setClock(T0.plusSeconds(100));
        SequenceClaim claim = store.claim(group, "seq-2", Duration.ofMinutes(1)).orElseThrow();

        List<StoredLetter> seen = new ArrayList<>();
        String cursor = null;
        do {
            Page<StoredLetter> page = store.claimableHeads(group, 2, cursor);
            seen.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor != null);

        assertThat(seen).extracting(StoredLetter::sequenceKey)
                        .containsExactly("seq-0", "seq-1", "seq-3", "seq-4", "seq-5", "seq-6");
        assertThat(seen).allSatisfy(l -> assertThat(l.id()).isEqualTo(heads.get(l.sequenceKey())));
        store.release(claim);
    }

    @Test
    void processSkipsSequencesLeasedByOthers() {
        enqueueSequence(group, "free", 2);
        enqueueSequence(group, "leased", 2);
        SequenceClaim foreign = storeOn(dataSource, "node-b", ROOMY)
                .claim(group, "leased", Duration.ofMinutes(1)).orElseThrow();
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        List<String> processed = new ArrayList<>();

        assertThat(queue.process(l -> ((StoredLetter) l).sequenceKey().equals("leased"),
                                 l -> {
                                     processed.add(((StoredLetter) l).sequenceKey());
                                     return Decisions.evict();
                                 })).isFalse();
        assertThat(queue.process(l -> {
            processed.add(((StoredLetter) l).sequenceKey());
            return Decisions.evict();
        })).isTrue();

        assertThat(processed).containsExactly("free", "free");
        assertThat(queue.contains("free")).isFalse();
        assertThat(queue.sequenceSize("leased")).isEqualTo(2);
        assertThat(store.sequence(group, "leased").orElseThrow().claimedBy()).isEqualTo(foreign.owner());
    }

    @Test
    void processStopsAtALostLeaseAndTheWorkOfItsTransactionDoesNotCommit() throws Exception {
        List<UUID> ids = enqueueSequence(group, "slow", 3);
        jdbc.execute("CREATE TABLE IF NOT EXISTS process_effect (letter_id UUID NOT NULL, node VARCHAR(20) NOT NULL)");
        JdbcDeadLetterStore nodeB = storeOn(dataSource, "node-b", ROOMY);
        GroupDeadLetterQueue slowQueue = GroupDeadLetterQueue.create(store, group, Duration.ofMillis(500), 100);
        GroupDeadLetterQueue fastQueue = GroupDeadLetterQueue.create(nodeB, group, Duration.ofMinutes(1), 100);
        // Like Axon's own invoker: one transaction around process(), the task's work in it.
        TransactionTemplate outer = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        CountDownLatch slowEntered = new CountDownLatch(1);
        CountDownLatch fastDone = new CountDownLatch(1);
        List<UUID> slowTasks = new ArrayList<>();
        ExecutorService nodeA = Executors.newSingleThreadExecutor();
        try {
            Future<Boolean> slowResult = nodeA.submit(() -> outer.execute(status -> slowQueue.process(letter -> {
                UUID id = ((StoredLetter) letter).id();
                slowTasks.add(id);
                jdbc.update("INSERT INTO process_effect (letter_id, node) VALUES (?, 'node-a')", id);
                slowEntered.countDown();
                awaitLatch(fastDone);
                return Decisions.evict();
            })));
            assertThat(slowEntered.await(30, TimeUnit.SECONDS)).isTrue();

            // Node B finds the sequence leased, then claimable once the lease expired by the database's clock.
            List<UUID> fastTasks = new ArrayList<>();
            Function<DeadLetter<? extends EventMessage<?>>, EnqueueDecision<EventMessage<?>>> fastTask = letter -> {
                UUID id = ((StoredLetter) letter).id();
                fastTasks.add(id);
                jdbc.update("INSERT INTO process_effect (letter_id, node) VALUES (?, 'node-b')", id);
                return Decisions.evict();
            };
            assertThat(fastQueue.process(fastTask)).isFalse();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!fastQueue.process(fastTask) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // B processed the whole sequence while A was still in its first task.
            assertThat(slowResult).isNotDone();
            assertThat(fastTasks).containsExactlyElementsOf(ids);
            fastDone.countDown();

            assertThat(slowResult).failsWithin(Duration.ofSeconds(30))
                                  .withThrowableOfType(ExecutionException.class)
                                  .withCauseInstanceOf(UnexpectedRollbackException.class);
        } finally {
            fastDone.countDown();
            nodeA.shutdownNow();
        }
        assertThat(slowTasks).as("A stopped at its lost lease").containsExactly(ids.get(0));
        assertThat(jdbc.queryForList("SELECT node FROM process_effect WHERE letter_id = ?", String.class, ids.get(0)))
                .as("the first letter took effect once, by B").containsExactly("node-b");
        assertThat(store.contains(group, "slow")).isFalse();
    }

    @Test
    void processDoesNotReportALetterThatIsAlreadyGoneAsProcessed() {
        List<UUID> ids = enqueueSequence(group, "evicted", 2);
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        List<UUID> processed = new ArrayList<>();

        // An operator evicts the letter while it is being processed.
        assertThat(queue.process(letter -> {
            processed.add(((StoredLetter) letter).id());
            store.evictLetter(((StoredLetter) letter).id());
            return Decisions.evict();
        })).isFalse();

        assertThat(processed).containsExactly(ids.get(0));
        assertThat(store.sequenceSize(group, "evicted")).isEqualTo(1);
        assertThat(store.sequence(group, "evicted").orElseThrow().claimedBy()).as("released").isNull();
        assertThat(queue.process(letter -> Decisions.evict())).isTrue();
        assertThat(store.contains(group, "evicted")).isFalse();
    }

    @Test
    void leasesWorkInsideTheCallersTransaction() {
        // A lock wait turns into an error instead of a hung build should the store ever wait on itself.
        DataSource guarded = withLockTimeout(dataSource);
        JdbcDeadLetterStore txStore = storeOn(guarded, "node-a", ROOMY);
        TransactionTemplate outer = new TransactionTemplate(new DataSourceTransactionManager(guarded));
        List<UUID> ids = enqueueSequence(txStore, group, "tx", 3);

        outer.executeWithoutResult(status -> {
            SequenceClaim claim = txStore.claim(group, "tx", Duration.ofMinutes(1)).orElseThrow();
            // Removing a letter locks the sequence row in this transaction.
            assertThat(txStore.remove(txStore.letter(ids.get(0)).orElseThrow())).isTrue();
            assertThat(txStore.renew(claim, Duration.ofMinutes(2))).isTrue();
            txStore.release(claim);
            assertThat(txStore.sequence(group, "tx").orElseThrow().claimedBy()).isEqualTo(claim.owner());
        });
        assertThat(store.sequence(group, "tx").orElseThrow().claimedBy()).isNull();
        assertThat(store.sequenceSize(group, "tx")).isEqualTo(2);

        outer.executeWithoutResult(status -> {
            SequenceClaim claim = txStore.claim(group, "tx", Duration.ofMinutes(1)).orElseThrow();
            assertThat(txStore.remove(txStore.letter(ids.get(1)).orElseThrow())).isTrue();
            txStore.release(claim);
            status.setRollbackOnly();
        });
        // Rolled back: the letter is back, and the lease is released all the same.
        assertThat(store.sequence(group, "tx").orElseThrow().claimedBy()).isNull();
        assertThat(store.sequenceSize(group, "tx")).isEqualTo(2);
        assertThat(store.letter(ids.get(1))).isPresent();
    }

    /**
     * A pool that does not auto-commit (spring.datasource.hikari.auto-commit=false, a common Hibernate tuning) rolls
     * back whatever a connection did uncommitted when it is returned: a claim or release must commit itself, inside a
     * caller's transaction or not.
     */
    @Test
    void claimsAndReleasesCommitOnAPoolThatDoesNotAutoCommit() throws SQLException {
        List<UUID> ids = enqueueSequence(group, "manual", 2);
        enqueueSequence(group, "released", 1);
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcDeadLetterStore onManual = storeOn(manualCommit, "node-m", ROOMY);

            SequenceClaim claim = onManual.claim(group, "manual", Duration.ofMinutes(1)).orElseThrow();
            assertThat(store.sequence(group, "manual").orElseThrow().claimedBy()).as("seen from another connection")
                                                                                 .isEqualTo(claim.owner());
            // Fenced work finds the lease it took.
            assertThat(onManual.removeLeased(claim, onManual.letter(ids.get(0)).orElseThrow(), Duration.ofMinutes(1)))
                    .isEqualTo(1);
            onManual.release(claim);
            assertThat(store.sequence(group, "manual").orElseThrow().claimedBy()).isNull();

            SequenceClaim taken = store.claim(group, "released", Duration.ofMinutes(1)).orElseThrow();
            onManual.release(taken);
            assertThat(store.sequence(group, "released").orElseThrow().claimedBy()).isNull();

            // Inside a caller's transaction that rolls back, the claim commits on its own, as before; the release
            // runs once that transaction has ended.
            TransactionTemplate outer = new TransactionTemplate(new DataSourceTransactionManager(manualCommit));
            SequenceClaim inside = outer.execute(status -> {
                SequenceClaim c = onManual.claim(group, "manual", Duration.ofMinutes(1)).orElseThrow();
                status.setRollbackOnly();
                return c;
            });
            assertThat(store.sequence(group, "manual").orElseThrow().claimedBy()).isEqualTo(inside.owner());
            outer.executeWithoutResult(status -> {
                onManual.release(inside);
                status.setRollbackOnly();
            });
            assertThat(store.sequence(group, "manual").orElseThrow().claimedBy()).isNull();
        }
    }

    /** A second pool on the test's database, with auto-commit off. */
    private HikariDataSource manualCommitPool() throws SQLException {
        HikariConfig config = new HikariConfig();
        dataSource.unwrap(HikariDataSource.class).copyStateTo(config);
        config.setPoolName(config.getPoolName() + "-manual-commit");
        config.setAutoCommit(false);
        config.setMaximumPoolSize(3);
        return new HikariDataSource(config);
    }

    private DataSource withLockTimeout(DataSource delegate) {
        String setTimeout = database == TestDatabase.POSTGRES ? "SET lock_timeout = 5000" : "SET LOCK_TIMEOUT 5000";
        return new DelegatingDataSource(delegate) {
            @Override
            public Connection getConnection() throws SQLException {
                Connection connection = super.getConnection();
                try (Statement statement = connection.createStatement()) {
                    statement.execute(setTimeout);
                }
                return connection;
            }
        };
    }

    // --- 10. limits -------------------------------------------------------------------------------------------

    @Test
    void appendingToAFullSequenceOverflowsAndKeepsNothingOfTheBatch() {
        JdbcDeadLetterStore small = storeOn(dataSource, "node-a", new DeadLetterLimits(3, 5));
        enqueueSequence(small, group, "full", 5);
        enqueueSequence(small, group, "roomy", 3);

        assertThat(small.isFull(group, "full")).isTrue();
        assertThat(small.isFull(group, "roomy")).isFalse();
        assertThatThrownBy(() -> small.appendIfParked(group, List.of(parked("full"))))
                .isInstanceOf(DeadLetterQueueOverflowException.class)
                .hasMessageContaining("full");
        // Two fit, the third does not: the whole batch goes.
        assertThatThrownBy(() -> small.appendIfParked(group, List.of(parked("roomy"), parked("roomy"),
                                                                     parked("roomy"))))
                .isInstanceOf(DeadLetterQueueOverflowException.class);
        assertThatThrownBy(() -> small.enqueue(group, parked("full")))
                .isInstanceOf(DeadLetterQueueOverflowException.class);

        assertThat(small.sequenceSize(group, "full")).isEqualTo(5);
        assertThat(small.sequenceSize(group, "roomy")).isEqualTo(3);
        assertThat(letterRows(group, "full")).isEqualTo(5);
        assertThat(letterRows(group, "roomy")).isEqualTo(3);
        // Room left is still usable.
        assertThat(small.appendIfParked(group, List.of(parked("roomy"), parked("roomy")))).containsExactly(true, true);
        assertThat(letterRows(group, "roomy")).isEqualTo(5);
    }

    @Test
    void enqueueOfANewSequenceOverflowsWhenTheGroupIsFull() {
        JdbcDeadLetterStore small = storeOn(dataSource, "node-a", new DeadLetterLimits(3, 5));
        for (String key : List.of("s1", "s2", "s3")) {
            enqueueSequence(small, group, key, 1);
        }

        assertThat(small.isFull(group, "s4")).isTrue();
        assertThatThrownBy(() -> enqueueSequence(small, group, "s4", 1))
                .isInstanceOf(DeadLetterQueueOverflowException.class)
                .hasMessageContaining(group);
        assertThat(small.sequenceCount(group)).isEqualTo(3);
        assertThat(small.contains(group, "s4")).isFalse();
        // Existing sequences may still grow, and other groups are unaffected.
        small.enqueue(group, parked("s1"));
        assertThat(small.sequenceSize(group, "s1")).isEqualTo(2);
        enqueueSequence(small, "group-" + UUID.randomUUID(), "s4", 1);
    }

    @Test
    void perGroupLimitsOverrideTheDefault() {
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder().dataSource(dataSource)
                                                       .eventSerializer(SERIALIZER).genericSerializer(SERIALIZER)
                                                       .limits(ROOMY).limits(group, new DeadLetterLimits(1, 2))
                                                       .build();
        enqueueSequence(store, group, "a", 2);
        assertThatThrownBy(() -> store.enqueue(group, parked("a")))
                .isInstanceOf(DeadLetterQueueOverflowException.class);
        assertThatThrownBy(() -> store.enqueue(group, parked("b")))
                .isInstanceOf(DeadLetterQueueOverflowException.class);
        enqueueSequence(store, "group-" + UUID.randomUUID(), "a", 3);
    }

    // --- 11. statement counts ---------------------------------------------------------------------------------

    @Test
    void hotPathStatementCounts() {
        JdbcDeadLetterStore counted = storeOn(counting, "node-a", ROOMY);
        IllegalStateException cause = new IllegalStateException("boom");
        List<AttemptRecord> history = List.of(AttemptRecord.of(1, T0, "node-a", cause),
                                              AttemptRecord.of(2, T0, "node-a", cause),
                                              AttemptRecord.of(3, T0, "node-a", cause));

        counting.reset();
        UUID head = counted.enqueue(group, LetterDraft.failed(7, event(new OrderPlaced("o", 0)), cause, history));
        List<CountingDataSource.Execution> enqueue = counting.executions();
        report("enqueue(new sequence, failed letter, 3 attempts)", enqueue);
        // The group lock (exact max-sequences), the start, the history batch.
        assertThat(enqueue).hasSize(3);
        assertThat(enqueue.get(0).batch()).isFalse();
        assertThat(enqueue.get(1).batch()).isFalse();
        assertThat(enqueue.get(2).batch()).isTrue();
        assertThat(enqueue.get(2).batchSize()).isEqualTo(3);
        assertThat(counted.attempts(head)).hasSize(3);

        counting.reset();
        boolean[] one = counted.appendIfParked(group, List.of(parked(7)));
        report("appendIfParked(1 draft, parked sequence)", counting.executions());
        assertThat(one).containsExactly(true);
        assertThat(counting.count()).isEqualTo(1);

        counting.reset();
        List<LetterDraft> twenty = IntStream.range(0, 20).mapToObj(i -> parked(7)).toList();
        boolean[] appended = counted.appendIfParked(group, twenty);
        report("appendIfParked(20 drafts, parked sequence)", counting.executions());
        assertThat(appended).hasSize(20).containsOnly(true);
        assertThat(counting.count()).isEqualTo(1);
        assertThat(counting.batchCount()).isEqualTo(1);
        assertThat(counting.batchedEntries()).isEqualTo(20);
        assertThat(counted.sequenceSize(group, counted.sequenceKey(7))).isEqualTo(22);

        counting.reset();
        boolean[] absent = counted.appendIfParked(group, List.of(parked(8)));
        report("appendIfParked(1 draft, sequence not parked)", counting.executions());
        assertThat(absent).containsExactly(false);
        assertThat(counted.contains(group, counted.sequenceKey(8))).isFalse();

        counting.reset();
        counted.enqueue(group, LetterDraft.failed(7, event(new OrderPlaced("o", 1)), cause, List.of()));
        report("enqueue(existing sequence, failed letter, no history)", counting.executions());
        assertThat(counting.count()).isLessThanOrEqualTo(3);

        counting.reset();
        Set<String> parked = counted.parkedSequenceKeys(group, 0, 0);
        report("parkedSequenceKeys(segment)", counting.executions());
        assertThat(counting.count()).isEqualTo(1);
        assertThat(parked).containsExactly(counted.sequenceKey(7));
    }

    @Test
    void parkedSequenceKeysFollowAxonsSegments() {
        List<Object> ids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            switch (i % 4) {
                case 0 -> ids.add("order-" + i);
                case 1 -> ids.add(-7919L * i);
                case 2 -> ids.add(UUID.nameUUIDFromBytes(new byte[]{(byte) i}));
                default -> ids.add(31 * i);
            }
        }
        ids.add(Integer.MIN_VALUE);
        ids.add(Integer.MAX_VALUE);
        ids.forEach(id -> store.enqueue(group, parked(id)));

        // Unbalanced (masks 1, 3, 3) and balanced splits, as Axon hands them to a processor's threads.
        for (int splits : List.of(0, 2, 7)) {
            Set<String> union = new HashSet<>();
            for (Segment segment : Segment.splitBalanced(Segment.ROOT_SEGMENT, splits)) {
                Set<String> expected = new HashSet<>();
                ids.stream().filter(segment::matches).forEach(id -> expected.add(store.sequenceKey(id)));
                Set<String> actual = store.parkedSequenceKeys(group, segment.getSegmentId(), segment.getMask());
                assertThat(actual).as("segment %s", segment).isEqualTo(expected);
                union.addAll(actual);
            }
            assertThat(union).hasSize(ids.size());
        }
        assertThatThrownBy(() -> store.parkedSequenceKeys(group, 0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.parkedSequenceKeys(group, 4, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    private void report(String operation, List<CountingDataSource.Execution> executions) {
        int batchedEntries = executions.stream().mapToInt(CountingDataSource.Execution::batchSize).sum();
        System.out.printf("[statement-count] %s %s: %d round trip(s), %d batched entr%s%n", database, operation,
                          executions.size(), batchedEntries, batchedEntries == 1 ? "y" : "ies");
    }

    // --- 12. schema -------------------------------------------------------------------------------------------

    @Test
    void initializingTheSchemaAgainIsHarmless() {
        UUID id = enqueueSequence(group, "kept", 1).get(0);

        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        SchemaInitializer.initialize(dataSource, store.dialect(), SchemaInitializer.DEFAULT_TABLE_PREFIX);

        assertThat(store.letter(id)).isPresent();
        assertThat(store.sequenceSize(group, "kept")).isEqualTo(1);
    }

    @Test
    void customTablePrefixWorksEndToEnd() {
        SchemaInitializer.initialize(dataSource, "custom_");
        SchemaInitializer.initialize(dataSource, "custom_");
        JdbcDeadLetterStore custom = JdbcDeadLetterStore.builder().dataSource(dataSource).tablePrefix("custom_")
                                                        .eventSerializer(SERIALIZER).genericSerializer(SERIALIZER)
                                                        .build();
        EventMessage<?> event = event(new OrderPlaced("custom", 1));
        IllegalStateException cause = new IllegalStateException("boom");
        UUID id = custom.enqueue(group, LetterDraft.failed("c", event, cause,
                                                           List.of(AttemptRecord.of(1, T0, "n", cause))));

        assertThat(custom.letter(id).orElseThrow().message().getPayload()).isEqualTo(new OrderPlaced("custom", 1));
        assertThat(custom.attempts(id)).hasSize(1);
        assertThat(custom.sequences(group, 10, null).items()).extracting(SequenceSummary::headLetterId)
                                                             .containsExactly(id);
        assertThat(tableNames()).contains("custom_sequence", "custom_letter", "custom_attempt");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM custom_letter WHERE letter_id = ?", Integer.class, id))
                .isEqualTo(1);
        assertThat(store.letter(id)).isEmpty();
        assertThat(store.contains(group, "c")).isFalse();

        assertThatThrownBy(() -> JdbcDeadLetterStore.builder().tablePrefix("x; DROP TABLE y"))
                .isInstanceOf(AxonConfigurationException.class);
        assertThatThrownBy(() -> SchemaInitializer.initialize(dataSource, "bad-prefix"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private Set<String> tableNames() {
        return new HashSet<>(jdbc.queryForList(
                "SELECT LOWER(table_name) FROM information_schema.tables WHERE LOWER(table_schema) = 'public'",
                String.class));
    }

    // --- 13. automatic retry -----------------------------------------------------------------------------------

    /**
     * Due times are the database's: a retry recorded by a node whose JVM clock is an hour ahead is due one step after
     * it by the database's clock (not an hour later), one recorded by a node an hour behind not at once.
     */
    @Test
    void automaticRetriesAreDueByTheDatabaseClockWhateverTheRecordingNodesClock() {
        SchemaInitializer.initialize(dataSource, store.dialect(), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     SchemaInitializer.OPERATIONS_SCRIPT);
        SchemaInitializer.initialize(dataSource, store.dialect(), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     "V7__axon_dlq_retry_due.sql");
        Duration step = Duration.ofMinutes(1);
        List<Duration> schedule = List.of(step, step);
        // Parked a day ago: both are due for their first retry.
        enqueueSequence(group, "ahead", 1);
        enqueueSequence(group, "behind", 1);
        touchedAgo(Duration.ofDays(1), "ahead", "behind");
        assertThat(dueForAutomaticRetry(schedule)).containsExactlyInAnyOrder("ahead:0", "behind:0");

        Instant before = databaseNow();
        recordFailedRetry("ahead", Instant.now().plus(Duration.ofHours(1)), step);
        recordFailedRetry("behind", Instant.now().minus(Duration.ofHours(1)), step);
        Instant after = databaseNow();

        for (String key : List.of("ahead", "behind")) {
            AutomaticRetryState state = store.automaticRetryState(group, key).orElseThrow();
            assertThat(state.retries()).isEqualTo(1);
            assertThat(state.lastRetryAt()).as("recorded by the database's clock").isBetween(before, after);
            assertThat(state.nextAt()).isEqualTo(state.lastRetryAt().plus(step));
        }
        assertThat(dueForAutomaticRetry(schedule)).as("a step has not passed by the database's clock").isEmpty();

        // The database's clock cannot be moved: the recorded retries are moved a step into its past instead.
        for (String key : List.of("ahead", "behind")) {
            OffsetDateTime at = jdbc.queryForObject("SELECT last_retry_at FROM axon_dlq_auto_retry WHERE "
                                                            + "processing_group = ? AND sequence_key = ?",
                                                    OffsetDateTime.class, group, key);
            jdbc.update("UPDATE axon_dlq_auto_retry SET last_retry_at = ? WHERE processing_group = ? "
                                + "AND sequence_key = ?", at.minus(step), group, key);
            // and the sequence row's copy of it (V7), which the due query reads
            jdbc.update("UPDATE axon_dlq_sequence SET auto_retried_at = ? WHERE processing_group = ? "
                                + "AND sequence_key = ?", at.minus(step), group, key);
        }
        assertThat(dueForAutomaticRetry(schedule)).containsExactlyInAnyOrder("ahead:1", "behind:1");

        // The last retry of the schedule: none is due after it.
        assertThat(store.recordAutomaticRetry(group, "ahead", 2, "FAILED", null)).isTrue();
        assertThat(store.automaticRetryState(group, "ahead").orElseThrow().nextAt()).isNull();
        assertThat(dueForAutomaticRetry(schedule)).containsExactly("behind:1");
    }

    /**
     * The schedule's first wait counts from the sequence's last touch by the database's clock too: a sequence parked,
     * or requeued by a failed redelivery, on a node whose JVM clock is an hour ahead is due one step later (not an
     * hour and a step), one parked on a node an hour behind not at once. {@code lastTouched} keeps the node's time,
     * as Axon's API defines it; a row written before V6 has no database time and counts from it.
     */
    @Test
    void theScheduleCountsFromTheLastTouchByTheDatabasesClockWhateverTheTouchingNodesClock() {
        SchemaInitializer.initialize(dataSource, store.dialect(), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     SchemaInitializer.OPERATIONS_SCRIPT);
        SchemaInitializer.initialize(dataSource, store.dialect(), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     "V7__axon_dlq_retry_due.sql");
        Duration step = Duration.ofMinutes(1);
        List<Duration> schedule = List.of(step);
        setClock(Instant.now().plus(Duration.ofHours(1)));
        enqueueSequence(group, "ahead", 1);
        setClock(Instant.now().minus(Duration.ofHours(1)));
        enqueueSequence(group, "behind", 1);
        enqueueSequence(group, "requeued", 1);
        assertThat(dueForAutomaticRetry(schedule)).as("touched just now by the database's clock").isEmpty();
        touchedAgo(step, "ahead", "behind", "requeued");
        assertThat(dueForAutomaticRetry(schedule)).containsExactlyInAnyOrder("ahead:0", "behind:0", "requeued:0");

        // A failed redelivery on a node an hour behind touches the sequence now, by the database's clock.
        StoredLetter head = store.sequenceLetters(group, "requeued", -1, 1).get(0);
        assertThat(store.requeue(head.withCause(new IllegalStateException("again")), null)).isTrue();
        assertThat(dueForAutomaticRetry(schedule)).containsExactlyInAnyOrder("ahead:0", "behind:0");

        // Written before V6: no database time, the node's (an hour ahead) counts.
        jdbc.update("UPDATE axon_dlq_sequence SET touched_at = NULL WHERE processing_group = ? AND sequence_key = ?",
                    group, "ahead");
        assertThat(dueForAutomaticRetry(schedule)).containsExactly("behind:0");
    }

    /** Moves the sequences' last touch by the database's clock {@code ago} into its past (it cannot be moved). */
    private void touchedAgo(Duration ago, String... keys) {
        for (String key : keys) {
            OffsetDateTime at = jdbc.queryForObject("SELECT touched_at FROM axon_dlq_sequence WHERE "
                                                            + "processing_group = ? AND sequence_key = ?",
                                                    OffsetDateTime.class, group, key);
            jdbc.update("UPDATE axon_dlq_sequence SET touched_at = ? WHERE processing_group = ? AND sequence_key = ?",
                        at.minus(ago), group, key);
        }
    }

    /** Records a failed automatic retry, run by a node whose JVM clock reads {@code nodeNow}. */
    private void recordFailedRetry(String key, Instant nodeNow, Duration next) {
        setClock(nodeNow);
        assertThat(store.recordAutomaticRetry(group, key, 1, "FAILED", next)).isTrue();
    }

    /** The due sequences as "key:retries so far", asked as the scheduler does. */
    private List<String> dueForAutomaticRetry(List<Duration> schedule) {
        return store.dueForAutomaticRetry(group, schedule, 10).stream()
                    .map(due -> due.sequenceKey() + ":" + due.retries()).toList();
    }

    // --- helpers ----------------------------------------------------------------------------------------------

    static JdbcDeadLetterStore storeOn(DataSource dataSource, String nodeId, DeadLetterLimits limits) {
        return JdbcDeadLetterStore.builder()
                                  .dataSource(dataSource)
                                  .eventSerializer(SERIALIZER)
                                  .genericSerializer(SERIALIZER)
                                  .limits(limits)
                                  .nodeId(nodeId)
                                  .build();
    }

    static EventMessage<?> event(Object payload) {
        return GenericEventMessage.asEventMessage(payload);
    }

    static LetterDraft parked(Object sequenceId) {
        return LetterDraft.parked(sequenceId, event(new OrderPlaced(String.valueOf(sequenceId), 0)));
    }

    /** The database's clock, which every lease follows. */
    private Instant databaseNow() {
        return jdbc.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class).toInstant();
    }

    /** Ends the sequence's lease by the database's clock, as if it had run out. */
    private void expireLease(String group, String key) {
        assertThat(jdbc.update("UPDATE axon_dlq_sequence SET claim_until = ? WHERE processing_group = ? "
                                       + "AND sequence_key = ?", OffsetDateTime.parse("2000-01-01T00:00:00Z"), group,
                               key)).isEqualTo(1);
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch not released in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void setClock(Instant instant) {
        GenericDeadLetter.clock = Clock.fixed(instant, ZoneOffset.UTC);
    }

    private static String b64(String plain) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(UTF_8));
    }

    private int letterRows(String group, String key) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE processing_group = ? "
                                           + "AND sequence_key = ?", Integer.class, group, key);
    }

    /**
     * Sequences "order-1".."order-n" of one letter each, copied in SQL from a letter the store wrote. Enqueueing them
     * one by one costs O(n^2): starting a sequence counts the group's sequences to enforce maxSequences.
     */
    private void bulkLoadOneLetterSequences(String group, int count) {
        UUID template = store.enqueue(group, LetterDraft.failed("template", event(new OrderPlaced("t", 0)),
                                                                new IllegalStateException("boom"), List.of()));
        String series = database == TestDatabase.POSTGRES ? "generate_series(1, ?) AS x" : "SYSTEM_RANGE(1, ?)";
        String uuid = database == TestDatabase.POSTGRES ? "gen_random_uuid()" : "RANDOM_UUID()";
        jdbc.update("INSERT INTO axon_dlq_sequence (processing_group, sequence_key, segment_key, letter_count, "
                            + "last_index, oldest_enqueued_at, last_touched) SELECT s.processing_group, "
                            + "'order-' || x, x, 1, 0, s.oldest_enqueued_at, s.last_touched "
                            + "FROM axon_dlq_sequence s, " + series
                            + " WHERE s.processing_group = ? AND s.sequence_key = 'template'", count, group);
        String copied = DeadLetterStatements.LETTER_COLUMNS
                .replace("letter_id, ", "").replace("sequence_key, ", "").replace("event_identifier, ", "");
        jdbc.update("INSERT INTO axon_dlq_letter (letter_id, sequence_key, event_identifier, " + copied + ") "
                            + "SELECT " + uuid + ", 'order-' || x, 'event-' || x, " + copied
                            + " FROM axon_dlq_letter, " + series + " WHERE letter_id = ?", count, template);
        assertThat(store.evictLetter(template)).isEqualTo(1);
    }

    /** A failed head plus parked followers; returns the letter ids in sequence order. */
    private List<UUID> enqueueSequence(String group, String sequenceId, int size) {
        return enqueueSequence(store, group, sequenceId, size);
    }

    private static List<UUID> enqueueSequence(JdbcDeadLetterStore store, String group, String sequenceId, int size) {
        List<UUID> ids = new ArrayList<>();
        ids.add(store.enqueue(group, LetterDraft.failed(sequenceId, event(new OrderPlaced(sequenceId, 0)),
                                                        new IllegalStateException("boom"), List.of())));
        for (int i = 1; i < size; i++) {
            ids.add(store.enqueue(group, LetterDraft.parked(sequenceId, event(new OrderPlaced(sequenceId, i)))));
        }
        return ids;
    }

    /** Builds a big sequence fast: the failed head, then parked followers in JDBC batches. */
    private List<String> fillSequence(String group, Object sequenceId, int size) {
        List<String> eventIds = new ArrayList<>(size);
        EventMessage<?> head = event(new OrderPlaced("head", 0));
        store.enqueue(group, LetterDraft.failed(sequenceId, head, new IllegalStateException("boom"), List.of()));
        eventIds.add(head.getIdentifier());
        for (int from = 1; from < size; from += APPEND_BATCH) {
            List<LetterDraft> batch = new ArrayList<>();
            for (int i = from; i < Math.min(size, from + APPEND_BATCH); i++) {
                EventMessage<?> event = event(new OrderPlaced("follower", i));
                batch.add(LetterDraft.parked(sequenceId, event));
                eventIds.add(event.getIdentifier());
            }
            assertThat(store.appendIfParked(group, batch)).containsOnly(true);
        }
        return eventIds;
    }

    private static String enqueueViaQueue(GroupDeadLetterQueue queue, Object sequenceId, String marker) {
        EventMessage<?> event = event(new OrderPlaced(marker, 0));
        if (!queue.enqueueIfPresent(sequenceId, () -> new GenericDeadLetter<>(sequenceId, event))) {
            queue.enqueue(sequenceId, new GenericDeadLetter<>(sequenceId, event, new IllegalStateException(marker)));
        }
        return event.getIdentifier();
    }

    private static List<String> eventIds(Iterable<? extends DeadLetter<? extends EventMessage<?>>> letters) {
        List<String> ids = new ArrayList<>();
        letters.forEach(l -> ids.add(l.message().getIdentifier()));
        return ids;
    }

    private static List<UUID> ids(List<StoredLetter> letters) {
        return letters.stream().map(StoredLetter::id).toList();
    }

    private List<StoredLetter> pageAllLetters(String group, LetterFilter filter, int limit) {
        Set<UUID> seen = new LinkedHashSet<>();
        List<StoredLetter> all = new ArrayList<>();
        String cursor = null;
        do {
            Page<StoredLetter> page = store.letters(group, filter, limit, cursor);
            assertThat(page.items()).hasSizeLessThanOrEqualTo(limit);
            for (StoredLetter letter : page.items()) {
                assertThat(seen.add(letter.id())).as("letter %s seen twice", letter.id()).isTrue();
                all.add(letter);
            }
            cursor = page.nextCursor();
        } while (cursor != null);
        return all;
    }
}
