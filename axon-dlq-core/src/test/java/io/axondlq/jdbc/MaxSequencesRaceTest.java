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
