package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.testsupport.LockWaits;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.messaging.deadletter.DeadLetterQueueOverflowException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static io.axondlq.jdbc.JdbcDeadLetterStoreTest.event;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The group's max-sequences limit under concurrent writers (issue 10, bug 8): a COUNT check alone lets every writer
 * that counted before the others committed start a sequence. The limit must hold exactly, the writers that lost get
 * {@link DeadLetterQueueOverflowException}, and their transactions stay usable.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class MaxSequencesRaceTest {

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    DataSource dataSource;
    TransactionTemplate tx;
    String group;
    ExecutorService executor;

    @BeforeEach
    void setUp() {
        dataSource = LockWaits.patient(pool, database);
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        group = "group-" + UUID.randomUUID();
        executor = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    /** Six writers start while a seventh holds an uncommitted new sequence: the overshoot case of a plain COUNT. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a guard against a hang, not a timing assertion
    void writersStartingSequencesWhileAnotherIsUncommittedNeverExceedTheLimit() throws Exception {
        JdbcDeadLetterStore store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", new DeadLetterLimits(4, 100));
        store.enqueue(group, failed("base"));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        Future<UUID> first = executor.submit(() -> tx.execute(status -> {
            UUID id = store.enqueue(group, failed("s0"));
            started.countDown();
            await(commit);
            return id;
        }));
        started.await();

        int writers = 6;
        List<Future<Boolean>> results = new ArrayList<>();
        for (int i = 1; i <= writers; i++) {
            String key = "s" + i;
            results.add(executor.submit(() -> tx.execute(status -> {
                boolean won;
                try {
                    store.enqueue(group, failed(key));
                    won = true;
                } catch (DeadLetterQueueOverflowException e) {
                    assertThat(e).hasMessageContaining(group);
                    won = false;
                }
                // The transaction is still usable after the refusal: it goes on writing, and commits.
                assertThat(store.appendIfParked(group, List.of(LetterDraft.parked(
                        "base", event(new JdbcDeadLetterStoreTest.OrderPlaced(key, 1)))))).containsExactly(true);
                assertThat(status.isRollbackOnly()).isFalse();
                return won;
            })));
        }
        // Every writer is waiting for the group while the first start is uncommitted: they did race.
        LockWaits.awaitBlocked(dataSource, database, writers);
        commit.countDown();

        assertThat(first.get(1, TimeUnit.MINUTES)).isNotNull();
        int won = 0;
        for (Future<Boolean> result : results) {
            won += result.get(1, TimeUnit.MINUTES) ? 1 : 0;
        }
        assertThat(won).as("writers that started a sequence").isEqualTo(2);
        assertThat(store.sequenceCount(group)).isEqualTo(4);
        assertThat(store.sequenceSize(group, store.sequenceKey("base"))).as("every writer's later append committed")
                                                                       .isEqualTo(1 + writers);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a guard against a hang, not a timing assertion
    void writersReleasedTogetherStartExactlyTheLimit() throws Exception {
        int writers = 8;
        int limit = 3;
        JdbcDeadLetterStore store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a",
                                                                    new DeadLetterLimits(limit, 100));
        for (int round = 0; round < 5; round++) {
            String roundGroup = group + "-" + round;
            CyclicBarrier barrier = new CyclicBarrier(writers);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < writers; i++) {
                String key = "s" + i;
                results.add(executor.submit(() -> {
                    barrier.await();
                    try {
                        store.enqueue(roundGroup, failed(key));
                        return true;
                    } catch (DeadLetterQueueOverflowException e) {
                        return false;
                    }
                }));
            }
            int won = 0;
            for (Future<Boolean> result : results) {
                won += result.get(1, TimeUnit.MINUTES) ? 1 : 0;
            }
            assertThat(won).as("round %d", round).isEqualTo(limit);
            assertThat(store.sequenceCount(roundGroup)).as("round %d", round).isEqualTo(limit);
        }
    }

    /**
     * Two batches of one processor start sequences of its two groups in opposite order (a failure storm across
     * segments). Each group's lock alone would let the first batch hold A and wait for B while the second holds B and
     * waits for A: a deadlock the database breaks by failing one batch. Declared as sharing transactions, both groups'
     * locks are taken in one order, so the second batch waits at its first start until the first commits.
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // a guard against a hang, not a timing assertion
    void batchesStartingSequencesOfTwoGroupsInOppositeOrderDoNotDeadlock() throws Exception {
        JdbcDeadLetterStore store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", DeadLetterLimits.DEFAULT);
        String groupA = group + "-a";
        String groupB = group + "-b";
        store.groupsShareTransactions(List.of(groupB, groupA));
        // Both groups have started a sequence before, so their lock rows exist (as after the first failure ever).
        store.enqueue(groupA, failed("a"));
        store.enqueue(groupB, failed("b"));
        List<String> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        Future<?> first = executor.submit(() -> tx.executeWithoutResult(status -> {
            store.enqueue(groupA, failed("x"));
            firstStarted.countDown();
            await(goOn);
            store.enqueue(groupB, failed("y"));
            order.add("first batch started its second sequence");
        }));
        firstStarted.await();
        Future<?> second = executor.submit(() -> tx.executeWithoutResult(status -> {
            store.enqueue(groupB, failed("z"));
            order.add("second batch started its first sequence");
            store.enqueue(groupA, failed("w"));
        }));
        // The second batch waits for a group lock while the first holds A: the interleaving of the deadlock.
        LockWaits.awaitBlocked(dataSource, database, 1);
        goOn.countDown();

        first.get(1, TimeUnit.MINUTES);
        second.get(1, TimeUnit.MINUTES);
        assertThat(order).as("the second batch waited at its first start until the first batch was done")
                         .containsExactly("first batch started its second sequence",
                                          "second batch started its first sequence");
        assertThat(store.sequenceCount(groupA)).isEqualTo(3);
        assertThat(store.sequenceCount(groupB)).isEqualTo(3);
    }

    @Test
    void groupsDeclaredInTwoSetsLockAllOfThemInNameOrder() {
        JdbcDeadLetterStore store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", DeadLetterLimits.DEFAULT);
        assertThat(store.groupLockOrder("b")).containsExactly("b");
        store.groupsShareTransactions(List.of("c", "b"));
        store.groupsShareTransactions(List.of("a", "c"));
        store.groupsShareTransactions(List.of("d"));
        assertThat(store.groupLockOrder("a")).containsExactly("a", "b", "c");
        assertThat(store.groupLockOrder("b")).containsExactly("a", "b", "c");
        assertThat(store.groupLockOrder("d")).containsExactly("d");
    }

    private static LetterDraft failed(String key) {
        return LetterDraft.failed(key, event(new JdbcDeadLetterStoreTest.OrderPlaced(key, 0)),
                                  new IllegalStateException("boom"), List.of());
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
