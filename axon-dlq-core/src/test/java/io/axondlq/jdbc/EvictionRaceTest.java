package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.testsupport.LockWaits;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.eventhandling.EventMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

import static io.axondlq.jdbc.JdbcDeadLetterStoreTest.event;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evictions racing live appends and new sequences (issue 10, bug 2). An append racing an eviction must either land
 * before it and be evicted with it, or find the sequence gone; never may a letter outlive its sequence row (an
 * orphan: not redeliverable, not counted, and in the way of the sequence's next start).
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class EvictionRaceTest {

    private static final DeadLetterLimits ROOMY = new DeadLetterLimits(20_000, 20_000);

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
        store = JdbcDeadLetterStoreTest.storeOn(dataSource, "node-a", ROOMY);
        tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        jdbc = new JdbcTemplate(dataSource);
        group = "group-" + UUID.randomUUID();
        executor = Executors.newCachedThreadPool();
    }

    @AfterEach
    void tearDown() {
        executor.shutdownNow();
    }

    // --- the two sides of the race, each made to happen -----------------------------------------------------

    @Test
    void anAppendHoldingTheSequenceWhenTheEvictionComesIsEvictedWithIt() throws Exception {
        store.enqueue(group, failed("k"));
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        Future<boolean[]> append = executor.submit(() -> tx.execute(status -> {
            boolean[] result = store.appendIfParked(group, List.of(follower("k")));
            appended.countDown();
            await(commit);
            return result;
        }));
        appended.await();

        Future<Integer> eviction = executor.submit(() -> store.evictSequence(group, store.sequenceKey("k")));
        LockWaits.awaitBlocked(dataSource, database, 1); // the eviction waits for the append's transaction
        commit.countDown();

        assertThat(append.get(1, TimeUnit.MINUTES)).containsExactly(true);
        assertThat(eviction.get(1, TimeUnit.MINUTES)).as("head and the follower that landed first").isEqualTo(2);
        assertThat(letters(group)).isZero();
        assertThat(store.sequenceCount(group)).isZero();
        assertNoOrphansAndCountersAgree();
    }

    @Test
    void anAppendAfterTheEvictionTookTheSequenceFindsItGone() throws Exception {
        store.enqueue(group, failed("k"));
        CountDownLatch evicted = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        Future<Integer> eviction = executor.submit(() -> tx.execute(status -> {
            int removed = store.evictSequence(group, store.sequenceKey("k"));
            evicted.countDown();
            await(commit);
            return removed;
        }));
        evicted.await();

        Future<boolean[]> append = executor.submit(() -> store.appendIfParked(group, List.of(follower("k"))));
        LockWaits.awaitBlocked(dataSource, database, 1); // the append waits for the eviction's transaction
        commit.countDown();

        assertThat(eviction.get(1, TimeUnit.MINUTES)).isEqualTo(1);
        assertThat(append.get(1, TimeUnit.MINUTES)).as("sequence gone: the caller handles the event live")
                                                   .containsExactly(false);
        assertThat(letters(group)).isZero();
        assertNoOrphansAndCountersAgree();
        // The key can be parked again: no leftover letter is in the way of its start.
        store.enqueue(group, failed("k"));
        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).isEqualTo(1);
    }

    @Test
    void aGroupEraseTakesAppendsThatLandedFirstAndKeepsASequenceStartedMeanwhile() throws Exception {
        store.enqueue(group, failed("k1"));
        store.enqueue(group, failed("k2"));
        CountDownLatch appended = new CountDownLatch(1);
        CountDownLatch commit = new CountDownLatch(1);
        Future<boolean[]> append = executor.submit(() -> tx.execute(status -> {
            boolean[] result = store.appendIfParked(group, List.of(follower("k1")));
            appended.countDown();
            await(commit);
            return result;
        }));
        appended.await();
        Future<Integer> erase = executor.submit(() -> store.evictGroup(group));
        LockWaits.awaitBlocked(dataSource, database, 1); // the erase is under way and waits for k1

        // A new sequence, started and committed while the erase is under way.
        UUID started = store.enqueue(group, failed("k3"));
        commit.countDown();

        assertThat(append.get(1, TimeUnit.MINUTES)).containsExactly(true);
        int erased = erase.get(1, TimeUnit.MINUTES);
        assertNoOrphansAndCountersAgree();
        if (store.contains(group, store.sequenceKey("k3"))) {
            assertThat(erased).as("k1's head and follower, k2's head").isEqualTo(3);
            assertThat(store.letter(started)).isPresent();
        } else {
            // H2 may let the waiting erase see the sequence committed meanwhile: then it is erased whole.
            assertThat(erased).isEqualTo(4);
            assertThat(store.letter(started)).isEmpty();
        }
        assertThat(store.contains(group, store.sequenceKey("k1"))).isFalse();
        assertThat(store.contains(group, store.sequenceKey("k2"))).isFalse();
    }

    // --- lock order: a group erase against a batch of appends ----------------------------------------------

    /*
     * Keys whose UTF-16 order (String.compareTo, and H2's index) and code point order differ: a supplementary character
     * is a surrogate pair (D800-DBFF first), so UTF-16 sorts U+1F600 before U+E000..U+FFFF, code point order after.
     */
    private static final String PRIVATE_USE = "k\ue000";
    private static final String LAST_BMP = "k\uffff";
    private static final String EMOJI = "k\ud83d\ude00";

    /**
     * While it waits for a row, a group erase holds exactly the group's rows before that one in
     * {@link SequenceKeys#LOCK_ORDER} (the order a batch appends in), whatever the database's collation and scan order.
     * Real row locks: a transaction holds one row, and which rows the waiting erase holds is probed with NOWAIT.
     */
    @Test
    void aGroupEraseLocksTheSequencesInTheOrderABatchAppendsIn() throws Exception {
        List<String> keys = List.of(EMOJI, LAST_BMP, PRIVATE_USE, "k\u00e9", "k", "K", "k\ud800\udc00");
        keys.forEach(key -> store.enqueue(group, failed(key)));
        List<String> lockOrder = keys.stream().map(store::sequenceKey).sorted(SequenceKeys.LOCK_ORDER).toList();
        assertThat(lockOrder).as("the keys tell the orders apart")
                             .isNotEqualTo(keys.stream().map(store::sequenceKey).sorted().toList());
        String held = store.sequenceKey(PRIVATE_USE);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<boolean[]> holder = executor.submit(() -> tx.execute(status -> {
            boolean[] result = store.appendIfParked(group, List.of(follower(PRIVATE_USE)));
            holding.countDown();
            await(release);
            return result;
        }));
        holding.await();

        Future<Integer> erase = executor.submit(() -> store.evictGroup(group));
        LockWaits.awaitBlocked(dataSource, database, 1); // the erase waits for the held row
        List<String> heldByErase = lockOrder.stream().filter(key -> !key.equals(held) && !lockableNow(key)).toList();
        release.countDown();

        assertThat(heldByErase).as("rows the erase locked before it waited for %s", held)
                               .containsExactlyElementsOf(lockOrder.subList(0, lockOrder.indexOf(held)));
        assertThat(holder.get(1, TimeUnit.MINUTES)).containsExactly(true);
        assertThat(erase.get(1, TimeUnit.MINUTES)).as("seven heads and the follower").isEqualTo(8);
        assertThat(store.sequenceCount(group)).isZero();
        assertNoOrphansAndCountersAgree();
    }

    /**
     * The deadlock a disagreeing lock order makes, made to happen: the batch's appends go out as PRIVATE_USE, LAST_BMP,
     * EMOJI (lock order). A transaction holds LAST_BMP, so the batch stops there holding PRIVATE_USE; then the erase
     * comes. Locking in the batch's order it waits for PRIVATE_USE holding nothing, and both finish once LAST_BMP is
     * free. (Locking EMOJI first, as H2's index orders it, it would hold the row the batch needs next.)
     */
    @Test
    void aGroupEraseAndABatchAppendingToSequencesWhoseUtf16AndCodePointOrdersDifferDoNotDeadlock() throws Exception {
        List.of(EMOJI, LAST_BMP, PRIVATE_USE).forEach(key -> store.enqueue(group, failed(key)));
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<boolean[]> holder = executor.submit(() -> tx.execute(status -> {
            boolean[] result = store.appendIfParked(group, List.of(follower(LAST_BMP)));
            holding.countDown();
            await(release);
            return result;
        }));
        holding.await();
        Future<boolean[]> batch = executor.submit(
                () -> store.appendIfParked(group, List.of(follower(EMOJI), follower(PRIVATE_USE), follower(LAST_BMP))));
        LockWaits.awaitBlocked(dataSource, database, 1); // the batch holds PRIVATE_USE and waits for LAST_BMP
        assertThat(lockableNow(store.sequenceKey(PRIVATE_USE))).as("the batch locked PRIVATE_USE first").isFalse();

        Future<Integer> erase = executor.submit(() -> store.evictGroup(group));
        LockWaits.awaitBlocked(dataSource, database, 2); // the erase waits too
        boolean emojiFree = lockableNow(store.sequenceKey(EMOJI));
        release.countDown();

        assertThat(emojiFree).as("the erase holds no row the waiting batch locks later").isTrue();
        assertThat(holder.get(1, TimeUnit.MINUTES)).containsExactly(true);
        assertThat(batch.get(1, TimeUnit.MINUTES)).containsExactly(true, true, true);
        assertThat(erase.get(1, TimeUnit.MINUTES)).as("three heads and four followers").isEqualTo(7);
        assertThat(store.sequenceCount(group)).isZero();
        assertNoOrphansAndCountersAgree();
    }

    /** Whether another transaction could lock the sequence row now: NOWAIT fails at once on a row locked already. */
    private boolean lockableNow(String sequenceKey) {
        return Boolean.TRUE.equals(tx.execute(status -> {
            status.setRollbackOnly();
            try {
                jdbc.queryForList("SELECT letter_count FROM axon_dlq_sequence WHERE processing_group = ? "
                                          + "AND sequence_key = ? FOR UPDATE NOWAIT", Integer.class, group,
                                  sequenceKey);
                return true;
            } catch (DataAccessException e) {
                if (lockNotAvailable(e)) {
                    return false;
                }
                throw e;
            }
        }));
    }

    /** NOWAIT's failure: PostgreSQL's lock_not_available, H2's lock timeout. */
    private boolean lockNotAvailable(DataAccessException e) {
        return e.getCause() instanceof SQLException cause && switch (database) {
            case POSTGRES -> "55P03".equals(cause.getSQLState());
            case H2 -> cause.getErrorCode() == 50200;
        };
    }

    @Test
    void lettersOrphanedByThePreviousStoreAreRemovedByTheMigrationSoTheirKeyParksAgain() {
        store.enqueue(group, failed("k"));
        // What the previous store's race left behind: a letter without its sequence row.
        jdbc.update("DELETE FROM axon_dlq_sequence WHERE processing_group = ?", group);
        assertThat(letters(group)).isEqualTo(1);
        // ... on a schema the migration that removes such letters (V4) has not run on yet
        jdbc.update("DELETE FROM axon_dlq_schema_version WHERE script = ?", SchemaInitializer.LETTER_PER_EVENT_SCRIPT);

        assertThat(SchemaInitializer.initialize(dataSource, SqlDialect.detect(dataSource),
                                                SchemaInitializer.DEFAULT_TABLE_PREFIX, SchemaInitializer.STORE_SCRIPTS))
                .containsExactly(SchemaInitializer.LETTER_PER_EVENT_SCRIPT);

        assertThat(letters(group)).isZero();
        store.enqueue(group, failed("k")); // index 0 is free again
        assertThat(store.sequenceSize(group, store.sequenceKey("k"))).isEqualTo(1);
        assertNoOrphansAndCountersAgree();
    }

    // --- free-running: erases and evictions among appends and new sequences from several threads -------------

    @Test
    void evictionsAmongConcurrentAppendsAndNewSequencesLeaveNoOrphanAndLoseNoCount() throws Exception {
        int appenders = 3;
        int keysPerAppender = 3;
        AtomicLong stored = new AtomicLong();
        AtomicLong evicted = new AtomicLong();
        AtomicInteger foundGone = new AtomicInteger();
        Set<String> appendedEvents = ConcurrentHashMap.newKeySet();
        List<String> keys = new ArrayList<>();
        for (int t = 0; t < appenders; t++) {
            for (int k = 0; k < keysPerAppender; k++) {
                keys.add("t" + t + "-k" + k);
                store.enqueue(group, failed("t" + t + "-k" + k));
                stored.incrementAndGet();
            }
        }

        int appendedThenEvicted = 0;
        for (int round = 0; round < 30 && (appendedThenEvicted == 0 || foundGone.get() == 0); round++) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < appenders; t++) {
                int thread = t;
                work.add(executor.submit(() -> {
                    await(start);
                    Random random = new Random(thread * 31L + stored.get());
                    for (int i = 0; i < 40; i++) {
                        String key = "t" + thread + "-k" + random.nextInt(keysPerAppender);
                        // A processor's batch may bring several followers of one sequence.
                        List<LetterDraft> drafts = new ArrayList<>();
                        for (int d = 0; d <= random.nextInt(3); d++) {
                            drafts.add(follower(key));
                        }
                        boolean[] result = store.appendIfParked(group, drafts);
                        for (int d = 0; d < result.length; d++) {
                            if (result[d]) {
                                stored.incrementAndGet();
                                appendedEvents.add(drafts.get(d).message().getIdentifier());
                            }
                        }
                        if (!result[0]) {
                            // Only evictions remove sequences here: the append found its sequence evicted.
                            foundGone.incrementAndGet();
                            store.enqueue(group, failed(key)); // the next failure parks the key again
                            stored.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            work.add(executor.submit(() -> {
                await(start);
                Random random = new Random(stored.get());
                for (int i = 0; i < 12; i++) {
                    evicted.addAndGet(i % 4 == 3
                                              ? store.evictGroup(group)
                                              : store.evictSequence(group, store.sequenceKey(
                                                      keys.get(random.nextInt(keys.size())))));
                }
                return null;
            }));
            start.countDown();
            for (Future<?> future : work) {
                future.get(5, TimeUnit.MINUTES);
            }
            Set<String> remaining = Set.copyOf(jdbc.queryForList(
                    "SELECT event_identifier FROM axon_dlq_letter WHERE processing_group = ?", String.class, group));
            appendedThenEvicted = (int) appendedEvents.stream().filter(id -> !remaining.contains(id)).count();
            assertNoOrphansAndCountersAgree();
            // Every letter stored is still there or was counted by the eviction that removed it.
            assertThat(stored.get()).isEqualTo(letters(group) + evicted.get());
        }

        System.out.printf("[eviction-race] %s: %d appended letters evicted, %d appends found the sequence gone%n",
                          database, appendedThenEvicted, foundGone.get());
        assertThat(appendedThenEvicted).as("appends that landed and were evicted").isPositive();
        assertThat(foundGone.get()).as("appends that found their sequence evicted").isPositive();
    }

    // --- helpers --------------------------------------------------------------------------------------------

    private void assertNoOrphansAndCountersAgree() {
        Integer orphans = jdbc.queryForObject(
                "SELECT COUNT(*) FROM axon_dlq_letter l WHERE l.processing_group = ? AND NOT EXISTS (SELECT 1 FROM "
                        + "axon_dlq_sequence s WHERE s.processing_group = l.processing_group "
                        + "AND s.sequence_key = l.sequence_key)", Integer.class, group);
        assertThat(orphans).as("letters without a sequence row").isZero();
        List<Map<String, Object>> wrong = jdbc.queryForList(
                "SELECT s.sequence_key, s.letter_count, (SELECT COUNT(*) FROM axon_dlq_letter l "
                        + "WHERE l.processing_group = s.processing_group AND l.sequence_key = s.sequence_key) AS n "
                        + "FROM axon_dlq_sequence s WHERE s.processing_group = ? AND (s.letter_count < 1 OR "
                        + "s.letter_count <> (SELECT COUNT(*) FROM axon_dlq_letter l WHERE l.processing_group = "
                        + "s.processing_group AND l.sequence_key = s.sequence_key) OR s.last_index < (SELECT "
                        + "MAX(l.sequence_index) FROM axon_dlq_letter l WHERE l.processing_group = "
                        + "s.processing_group AND l.sequence_key = s.sequence_key))", group);
        assertThat(wrong).as("sequences whose counters disagree with their letters").isEmpty();
    }

    private long letters(String group) {
        Long count = jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE processing_group = ?",
                                         Long.class, group);
        return count == null ? 0 : count;
    }

    private static LetterDraft failed(String key) {
        return LetterDraft.failed(key, event(new JdbcDeadLetterStoreTest.OrderPlaced(key, 0)),
                                  new IllegalStateException("boom"), List.of());
    }

    private static LetterDraft follower(String key) {
        EventMessage<?> event = event(new JdbcDeadLetterStoreTest.OrderPlaced(key, 1));
        return LetterDraft.parked(key, event);
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
