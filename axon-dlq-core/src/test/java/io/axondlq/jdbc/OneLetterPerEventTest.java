package io.axondlq.jdbc;

import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.EnqueueOutcome;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.testsupport.LockWaits;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static io.axondlq.jdbc.JdbcDeadLetterStoreTest.event;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A processing group holds at most one letter per event identifier (issue 10, bug 1): Axon delivers events at least
 * once, and an event delivered again must not become a second letter (a redelivery would apply it twice). Enforced
 * by the database, without an error in the caller's transaction.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class OneLetterPerEventTest {

    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    DataSource dataSource;
    JdbcDeadLetterStore store;
    TransactionTemplate tx;
    JdbcTemplate jdbc;
    String group;
    ExecutorService executor;

    @BeforeEach
    void setUp() {
        dataSource = LockWaits.patient(pool, database);
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", new DeadLetterLimits(3, 100));
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        jdbc = new JdbcTemplate(dataSource);
        group = "group-" + UUID.randomUUID();
        executor = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    @Test
    void aFailedEventEnqueuedAgainReturnsTheExistingLetterAndAddsNoHistory() {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        UUID first = store.enqueue(group, failed("k", event, 2));

        UUID again = store.enqueue(group, failed("k", event, 3));
        // Redelivered under another sequence (an unstable key): still the same event, still one letter.
        UUID elsewhere = store.enqueue(group, failed("other", event, 1));

        assertThat(again).isEqualTo(first);
        assertThat(elsewhere).isEqualTo(first);
        assertThat(letterRows(event)).isEqualTo(1);
        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).isEqualTo(1);
        assertThat(store.contains(group, store.sequenceKey("other"))).isFalse();
        assertThat(store.attempts(first)).hasSize(2);
        assertThat(store.letter(first).orElseThrow().attempts()).isEqualTo(2);
    }

    /** What the invoker counts by: a new letter once, then the existing letter (not counted again). */
    @Test
    void enqueueOnceTellsANewLetterFromAnEventThatIsALetterAlready() {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));

        EnqueueOutcome first = store.enqueueOnce(group, failed("k", event, 1));
        EnqueueOutcome again = store.enqueueOnce(group, failed("k", event, 1));
        EnqueueOutcome elsewhere = store.enqueueOnce(group, failed("other", event, 1));

        assertThat(first.alreadyALetter()).isFalse();
        assertThat(again).isEqualTo(EnqueueOutcome.existingLetter(first.letterId()));
        assertThat(elsewhere).isEqualTo(EnqueueOutcome.existingLetter(first.letterId()));
        assertThat(letterRows(event)).isEqualTo(1);
    }

    @Test
    void aFollowerDeliveredAgainIsReportedQueuedAndNotStoredTwice() {
        store.enqueue(group, failed("k", event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0)), 1));
        EventMessage<?> follower = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1));

        assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", follower)))).containsExactly(true);
        assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", follower)))).containsExactly(true);

        assertThat(letterRows(follower)).isEqualTo(1);
        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).isEqualTo(2);
        assertCountersAgree("k");
    }

    @Test
    void aDuplicateInsideOneBatchIsStoredOnceAndTheRestOfTheBatchKeepsItsOrder() {
        store.enqueue(group, failed("k", event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0)), 1));
        EventMessage<?> a = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1));
        EventMessage<?> b = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 2));

        boolean[] result = store.appendIfParked(group, List.of(LetterDraft.parked("k", a), LetterDraft.parked("k", a),
                                                               LetterDraft.parked("k", b)));

        assertThat(result).containsExactly(true, true, true);
        List<StoredLetter> sequence = store.sequenceLetters(group, store.sequenceKey("k"), -1, 10);
        assertThat(sequence).extracting(l -> l.event().eventIdentifier())
                            .containsExactly(sequence.get(0).event().eventIdentifier(), a.getIdentifier(),
                                             b.getIdentifier());
        assertCountersAgree("k");
    }

    @Test
    void aFollowerThatIsTheFailedHeadAlreadyIsNotAppendedBehindItself() {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        store.enqueue(group, failed("k", event, 1));

        assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", event)))).containsExactly(true);

        assertThat(letterRows(event)).isEqualTo(1);
        assertCountersAgree("k");
    }

    @Test
    void aDuplicateIsRecognisedEvenWhenTheGroupOrTheSequenceIsFull() {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        UUID id = store.enqueue(group, failed("k", event, 1));
        store.enqueue(group, failed("k2", event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1)), 1));
        store.enqueue(group, failed("k3", event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 2)), 1));
        assertThat(store.sequenceCount(group)).isEqualTo(3); // the limit

        assertThat(store.enqueue(group, failed("k4", event, 1))).isEqualTo(id);
        JdbcDeadLetterStore tiny = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", new DeadLetterLimits(3, 1));
        assertThat(tiny.appendIfParked(group, List.of(LetterDraft.parked("k", event)))).containsExactly(true);
    }

    @Test
    void otherGroupsKeepTheirOwnLetterOfTheSameEvent() {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        String otherGroup = "group-" + UUID.randomUUID();

        UUID mine = store.enqueue(group, failed("k", event, 1));
        UUID theirs = store.enqueue(otherGroup, failed("k", event, 1));

        assertThat(theirs).isNotEqualTo(mine);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE event_identifier = ?",
                                       Integer.class, event.getIdentifier())).isEqualTo(2);
    }

    @Test
    void axonsQueueApiStoresARedeliveredEventOnce() {
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        EventMessage<?> follower = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1));

        queue.enqueue("k", new GenericDeadLetter<>("k", event, new IllegalStateException("boom")));
        queue.enqueue("k", new GenericDeadLetter<>("k", event, new IllegalStateException("boom")));
        assertThat(queue.enqueueIfPresent("k", () -> new GenericDeadLetter<>("k", follower))).isTrue();
        assertThat(queue.enqueueIfPresent("k", () -> new GenericDeadLetter<>("k", follower))).isTrue();

        assertThat(queue.sequenceSize("k")).isEqualTo(2);
        assertThat(letterRows(event) + letterRows(follower)).isEqualTo(2);
    }

    @Test
    void duplicatesLeaveTheCallersTransactionUsable() {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        EventMessage<?> follower = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1));
        EventMessage<?> later = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 2));

        tx.executeWithoutResult(status -> {
            UUID id = store.enqueue(group, failed("k", event, 1));
            assertThat(store.enqueue(group, failed("k", event, 1))).isEqualTo(id);
            assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", event),
                                                           LetterDraft.parked("k", follower),
                                                           LetterDraft.parked("k", follower))))
                    .containsExactly(true, true, true);
            // Still usable: later statements of the same transaction run and commit.
            assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", later)))).containsExactly(true);
            assertThat(status.isRollbackOnly()).isFalse();
        });

        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).isEqualTo(3);
        assertThat(letterRows(later)).isEqualTo(1);
        assertCountersAgree("k");
    }

    @Test
    void twoTransactionsAppendingTheSameEventAtOnceStoreItOnce() throws Exception {
        store.enqueue(group, failed("k", event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0)), 1));
        EventMessage<?> follower = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 1));
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        Future<boolean[]> first = executor.submit(() -> tx.execute(status -> {
            boolean[] result = store.appendIfParked(group, List.of(LetterDraft.parked("k", follower)));
            appended.countDown();
            await(commit);
            return result;
        }));
        appended.await();

        // The same event from a second node that believes it owns the segment too.
        Future<boolean[]> second = executor.submit(() -> tx.execute(
                status -> store.appendIfParked(group, List.of(LetterDraft.parked("k", follower)))));
        LockWaits.awaitBlocked(dataSource, database, 1);
        commit.countDown();

        assertThat(first.get(1, TimeUnit.MINUTES)).containsExactly(true);
        assertThat(second.get(1, TimeUnit.MINUTES)).containsExactly(true);
        assertThat(letterRows(follower)).isEqualTo(1);
        assertCountersAgree("k");
    }

    /**
     * An upcaster that splits one stored event into several gives each the source's identifier: each is an event of
     * its own and gets a letter of its own, and each delivered again is still stored once.
     */
    @Test
    void eventsSplitFromOneStoredEventShareItsIdentifierAndKeepALetterEach() {
        EventMessage<?> source = event(new JdbcDeadLetterStoreTest.OrderPlaced("o", 0));
        EventMessage<?> first = new org.axonframework.eventhandling.GenericEventMessage<>(
                new org.axonframework.messaging.GenericMessage<>(source.getIdentifier(),
                                                                  new JdbcDeadLetterStoreTest.OrderPlaced("o", 1),
                                                                  source.getMetaData()), source::getTimestamp);
        EventMessage<?> second = new org.axonframework.eventhandling.GenericEventMessage<>(
                new org.axonframework.messaging.GenericMessage<>(source.getIdentifier(),
                                                                  new JdbcDeadLetterStoreTest.OrderPlaced("o", 2),
                                                                  source.getMetaData()), source::getTimestamp);

        store.enqueue(group, failed("k", first, 1));
        assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", second)))).containsExactly(true);
        // Each delivered again: still one letter each.
        store.enqueue(group, failed("k", first, 1));
        assertThat(store.appendIfParked(group, List.of(LetterDraft.parked("k", second)))).containsExactly(true);

        assertThat(letterRows(first)).isEqualTo(2);
        assertThat(store.sequenceLetters(group, store.sequenceKey("k"), -1, 10))
                .extracting(l -> ((JdbcDeadLetterStoreTest.OrderPlaced) l.message().getPayload()).line())
                .containsExactly(1, 2);
        assertCountersAgree("k");
    }

    // --- helpers --------------------------------------------------------------------------------------------

    private static LetterDraft failed(String key, EventMessage<?> event, int attempts) {
        IllegalStateException cause = new IllegalStateException("boom");
        List<AttemptRecord> history = new java.util.ArrayList<>();
        for (int i = 1; i <= attempts; i++) {
            history.add(AttemptRecord.of(i, T0.plusSeconds(i), "node-a", cause));
        }
        return LetterDraft.failed(key, event, cause, history);
    }

    private int letterRows(EventMessage<?> event) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE processing_group = ? "
                                           + "AND event_identifier = ?", Integer.class, group, event.getIdentifier());
    }

    private void assertCountersAgree(String sequenceId) {
        String key = store.sequenceKey(sequenceId);
        Integer counted = jdbc.queryForObject("SELECT letter_count FROM axon_dlq_sequence WHERE processing_group = ? "
                                                      + "AND sequence_key = ?", Integer.class, group, key);
        Integer rows = jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE processing_group = ? "
                                                   + "AND sequence_key = ?", Integer.class, group, key);
        assertThat(counted).as("letter_count of %s", sequenceId).isEqualTo(rows);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
