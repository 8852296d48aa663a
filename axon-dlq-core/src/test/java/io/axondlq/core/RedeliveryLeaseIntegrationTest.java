package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.LeaseLostException;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes (two Axon applications with their own store, node id and redeliverer, over one database and one event
 * stream) whose JVM clocks disagree by two hours, redelivering the same sequence with a letter slower than the lease.
 * The lease is the database's: it holds whatever the nodes' clocks say, it expires by the database's clock, and a
 * holder that lost it commits nothing. Written once, subclassed per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class RedeliveryLeaseIntegrationTest {

    /** Long enough for node B to try (and fail) a claim at once, short enough to wait for. */
    private static final Duration LEASE = Duration.ofMillis(1500);
    private static final Duration SKEW = Duration.ofHours(1);

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    private CountingDataSource countingA;
    private InvokerFixture nodeA;
    private InvokerFixture nodeB;
    private ExecutorService threads;

    @BeforeEach
    void startTwoNodes() {
        InvokerFixture.prepareDatabase(database, pool);
        InMemoryEventStorageEngine stream = new OrderedInMemoryEventStorageEngine();
        countingA = new CountingDataSource(pool);
        nodeA = new InvokerFixture(database, countingA, pool, "node-a", stream);
        nodeB = new InvokerFixture(database, new CountingDataSource(pool), pool, "node-b", stream);
        nodeA.leaseDuration = LEASE;
        nodeB.leaseDuration = LEASE;
        threads = Executors.newSingleThreadExecutor();
    }

    @AfterEach
    void stop() {
        GenericDeadLetter.clock = Clock.systemUTC();
        threads.shutdownNow();
        nodeA.close();
        nodeB.close();
    }

    /** Node A parks A#0..A#2 (A#0 failed three times); then node B starts on the same stream. */
    private void parkThreeLettersOfA() {
        parkThreeLettersOfA(Options.of(ProcessorType.POOLED));
    }

    private void parkThreeLettersOfA(Options nodeAOptions) {
        nodeA.start(nodeAOptions);
        nodeA.handler.faults.poisoned.add("A");
        nodeA.publishRounds(3, "A", "B");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(nodeA.sequenceSize("A")).isEqualTo(3);
            assertThat(nodeA.projected("B")).containsExactly(0L, 1L, 2L);
        });
        nodeB.start(Options.of(ProcessorType.POOLED));
        nodeA.handler.faults.clear();
    }

    /** Node A's redelivery of A#0 signals {@code a0Entered}, then waits for {@code bDone} (and fails, if asked). */
    private void holdNodeAInA0(CountDownLatch a0Entered, CountDownLatch bDone, boolean thenFail) {
        nodeA.handler.hook = (event, redelivery) -> {
            if (redelivery && event.key().equals("A#0")) {
                a0Entered.countDown();
                awaitLatch(bDone);
                if (thenFail) {
                    throw new IllegalStateException("slow and still failing on node A");
                }
            }
        };
    }

    /** Runs node A's redelivery of A with A's JVM clock an hour behind, and waits until A#0's handler runs. */
    private Future<RedeliveryResult> nodeAStartsRedeliveringAndIsHeldInA0(CountDownLatch a0Entered) throws Exception {
        GenericDeadLetter.clock = Clock.offset(Clock.systemUTC(), SKEW.negated());
        Future<RedeliveryResult> redelivery =
                threads.submit(() -> nodeA.redeliverer().redeliver(GROUP, nodeA.key("A")));
        assertThat(a0Entered.await(30, TimeUnit.SECONDS)).isTrue();
        // From here on it is node B's turn, and B's JVM clock is an hour ahead.
        GenericDeadLetter.clock = Clock.offset(Clock.systemUTC(), SKEW);
        return redelivery;
    }

    /** Node B tries at once (refused: A's lease holds by the database's clock), then until the lease has expired. */
    private RedeliveryResult nodeBTakesOverOnceTheLeaseExpired() {
        assertThatThrownBy(() -> nodeB.redeliverer().redeliver(GROUP, nodeB.key("A")))
                .isInstanceOfSatisfying(SequenceClaimedException.class,
                                        e -> assertThat(e.claimedBy()).startsWith("node-a/"));
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                      .ignoreExceptionsInstanceOf(SequenceClaimedException.class)
                      .until(() -> nodeB.redeliverer().redeliver(GROUP, nodeB.key("A")), Objects::nonNull);
    }

    @Test
    void aLetterSlowerThanTheLeaseTakesEffectOnceByTheNodeThatTookOverAndTheSlowHolderCommitsNothing()
            throws Exception {
        parkThreeLettersOfA();
        StoredLetter head = nodeA.letters("A").get(0);
        CountDownLatch a0Entered = new CountDownLatch(1);
        CountDownLatch bDone = new CountDownLatch(1);
        holdNodeAInA0(a0Entered, bDone, false);
        AtomicInteger bHandledWhileAWasInA0 = new AtomicInteger();
        nodeB.handler.hook = (event, redelivery) -> {
            if (redelivery && a0Entered.getCount() == 0 && bDone.getCount() == 1) {
                bHandledWhileAWasInA0.incrementAndGet();
            }
        };

        countingA.reset();
        Future<RedeliveryResult> nodeAResult = nodeAStartsRedeliveringAndIsHeldInA0(a0Entered);
        RedeliveryResult nodeBResult;
        try {
            nodeBResult = nodeBTakesOverOnceTheLeaseExpired();

            // The interleaving happened: B claimed and drained the sequence while A was still inside A#0.
            assertThat(nodeAResult).isNotDone();
            assertThat(bHandledWhileAWasInA0).hasValue(3);
        } finally {
            bDone.countDown();
        }
        assertThat(nodeBResult.outcome()).as("%s", nodeBResult).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(nodeBResult.redelivered()).isEqualTo(3);

        RedeliveryResult slow = nodeAResult.get(30, TimeUnit.SECONDS);
        assertThat(slow.outcome()).as("%s", slow).isEqualTo(RedeliveryResult.Outcome.LEASE_LOST);
        assertThat(slow.redelivered()).isZero();
        assertThat(slow.stoppedAtLetterId()).isEqualTo(head.id());
        assertThat(slow.failureType()).isEqualTo(LeaseLostException.class.getName());
        // A finished handling A#0 (its row was written in its transaction), then its fence found the lease gone.
        assertThat(countingA.countMatching("INSERT INTO projection")).isEqualTo(1);
        assertThat(countingA.countMatching("letter_count - 1")).isEqualTo(1);

        // Each letter took effect exactly once (B's), none of A's work committed.
        assertThat(nodeA.projected("A")).containsExactly(0L, 1L, 2L);
        assertThat(nodeA.redeliveredFlags("A")).containsOnly(true);
        assertThat(nodeA.store.size(GROUP)).isZero();
        assertThat(nodeA.handler.invocations("A#1")).as("A stopped at its lost lease").isZero();
        assertThat(nodeB.handler.invocations("A#1")).isEqualTo(1);
    }

    /**
     * Node A's processor has a handler interceptor that catches whatever the chain throws (a "log and go on" one).
     * The lease's fence is not the handler's failure and runs outside the chain: the interceptor never sees it, and
     * the holder that lost its lease commits nothing. (Before, the fence ran inside the chain: the interceptor caught
     * and logged the lease loss; only the store marking the shared transaction rollback-only kept A's row out.)
     */
    @Test
    void anInterceptorThatSwallowsFailuresCannotSwallowTheFenceOfALostLease() throws Exception {
        AtomicBoolean swallow = new AtomicBoolean();
        AtomicInteger swallowed = new AtomicInteger();
        MessageHandlerInterceptor<EventMessage<?>> logAndGoOn = (unitOfWork, chain) -> {
            if (!swallow.get()) {
                return chain.proceed();
            }
            try {
                return chain.proceed();
            } catch (Exception e) {
                swallowed.incrementAndGet();
                return null;
            }
        };
        parkThreeLettersOfA(Options.of(ProcessorType.POOLED).customizer(
                ep -> ep.registerHandlerInterceptor(InvokerFixture.PROCESSOR, c -> logAndGoOn)));
        swallow.set(true);
        CountDownLatch a0Entered = new CountDownLatch(1);
        CountDownLatch bDone = new CountDownLatch(1);
        holdNodeAInA0(a0Entered, bDone, false);

        Future<RedeliveryResult> nodeAResult = nodeAStartsRedeliveringAndIsHeldInA0(a0Entered);
        RedeliveryResult nodeBResult;
        try {
            nodeBResult = nodeBTakesOverOnceTheLeaseExpired();
            assertThat(nodeAResult).as("B drained the sequence while A was still inside A#0").isNotDone();
        } finally {
            bDone.countDown();
        }
        assertThat(nodeBResult.outcome()).as("%s", nodeBResult).isEqualTo(RedeliveryResult.Outcome.DRAINED);

        RedeliveryResult slow = nodeAResult.get(30, TimeUnit.SECONDS);
        assertThat(slow.outcome()).as("%s", slow).isEqualTo(RedeliveryResult.Outcome.LEASE_LOST);
        assertThat(slow.failureType()).isEqualTo(LeaseLostException.class.getName());
        assertThat(nodeA.projected("A")).as("each letter took effect once, B's").containsExactly(0L, 1L, 2L);
        assertThat(swallowed).as("the fence was thrown outside the interceptor").hasValue(0);
        assertThat(nodeA.handler.invocations("A#1")).as("A stopped at its lost lease").isZero();
    }

    @Test
    void twoNodesFailingTheSameLetterRecordOneAttemptAndTheSlowHolderWritesNothing() throws Exception {
        parkThreeLettersOfA();
        nodeB.handler.faults.poisoned.add("A");
        StoredLetter head = nodeA.letters("A").get(0);
        assertThat(nodeA.store.attempts(head.id())).extracting(AttemptRecord::attempt).containsExactly(1, 2, 3);
        CountDownLatch a0Entered = new CountDownLatch(1);
        CountDownLatch bDone = new CountDownLatch(1);
        holdNodeAInA0(a0Entered, bDone, true);

        Future<RedeliveryResult> nodeAResult = nodeAStartsRedeliveringAndIsHeldInA0(a0Entered);
        RedeliveryResult nodeBResult;
        try {
            nodeBResult = nodeBTakesOverOnceTheLeaseExpired();
            assertThat(nodeAResult).as("B failed A#0 while A was still handling it").isNotDone();
        } finally {
            bDone.countDown();
        }
        assertThat(nodeBResult.outcome()).as("%s", nodeBResult).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(nodeBResult.stoppedAtLetterId()).isEqualTo(head.id());

        // A's failure comes after B's: A's requeue is fenced out, so no second attempt 4 (no primary-key clash).
        RedeliveryResult slow = nodeAResult.get(30, TimeUnit.SECONDS);
        assertThat(slow.outcome()).as("%s", slow).isEqualTo(RedeliveryResult.Outcome.LEASE_LOST);
        assertThat(slow.failureType()).isEqualTo(LeaseLostException.class.getName());

        StoredLetter after = nodeA.letters("A").get(0);
        assertThat(after.id()).isEqualTo(head.id());
        assertThat(after.attempts()).isEqualTo(4);
        assertThat(after.cause()).hasValueSatisfying(c -> assertThat(c.message()).isEqualTo("poisoned A#0"));
        List<AttemptRecord> history = nodeA.store.attempts(head.id());
        assertThat(history).extracting(AttemptRecord::attempt).containsExactly(1, 2, 3, 4);
        assertThat(history.get(3).node()).isEqualTo("node-b");
        assertThat(history).extracting(AttemptRecord::node).as("live attempts name the node that parked the letter")
                           .containsExactly("node-a", "node-a", "node-a", "node-b");
        assertThat(nodeA.letters("A")).extracting(StoredLetter::attempts).containsExactly(4, 0, 0);
        assertThat(nodeA.projected("A")).isEmpty();
        assertThat(nodeA.store.sequence(GROUP, nodeA.key("A")))
                .hasValueSatisfying(s -> assertThat(s.claimedBy()).as("both leases released").isNull());
    }

    /**
     * What redelivery costs per letter, counted: the handler's statement and the fenced removal (one statement on
     * PostgreSQL, two on H2), no head query and no renewal of its own; letters are read 100 at a time.
     */
    @Test
    void redeliveryReadsLettersInPagesAndFencesEachInItsOwnStatements() {
        int letters = 150;
        nodeA.start(Options.of(ProcessorType.POOLED));
        nodeA.handler.faults.poisoned.add("A");
        nodeA.publishRounds(letters, "A");
        await().atMost(Duration.ofSeconds(60)).until(() -> nodeA.sequenceSize("A") == letters);
        await().atMost(Duration.ofSeconds(30)).until(nodeA::tokensAtHead);
        nodeA.handler.faults.clear();

        countingA.reset();
        RedeliveryResult result = nodeA.redeliverer().redeliver(GROUP, nodeA.key("A"));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.redelivered()).isEqualTo(letters);
        assertThat(nodeA.projected("A")).hasSize(letters);
        assertThat(countingA.countMatching("FROM axon_dlq_letter WHERE processing_group = \\? AND sequence_key = "
                                                   + "\\? AND sequence_index > \\?")).as("pages").isEqualTo(2);
        assertThat(countingA.countMatching("INSERT INTO projection")).isEqualTo(letters);
        assertThat(countingA.countMatching("letter_count - 1")).as("fences").isEqualTo(letters);
        assertThat(countingA.countMatching("DELETE FROM axon_dlq_letter")).isEqualTo(letters);
        assertThat(countingA.countMatching("SET claim_until")).as("renewals of their own").isZero();
        assertThat(countingA.countMatching("SET claim_owner = \\?")).as("claims").isEqualTo(1);
        int perLetter = database == TestDatabase.POSTGRES ? 2 : 3;
        // Besides: the claim, two pages, dropping the empty sequence, the release (and the processor's token upkeep).
        assertThat(countingA.count() - countingA.countMatching("TokenEntry")).isEqualTo(letters * perLetter + 5);
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
}
