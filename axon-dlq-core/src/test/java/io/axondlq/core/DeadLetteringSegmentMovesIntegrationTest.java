package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.awaitility.core.ConditionFactory;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.EventTrackerStatus;
import org.axonframework.eventhandling.GlobalSequenceTrackingToken;
import org.axonframework.eventhandling.MergedTrackingToken;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.async.SequentialPerAggregatePolicy;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

import static io.axondlq.core.InvokerFixture.GROUP;
import static io.axondlq.core.InvokerFixture.PROCESSOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10, bug 1: the parked set must follow segments as they split, merge and move between nodes, and an event
 * that Axon delivers again (merges, lost claims, replays: at least once) must never become a second letter.
 * <p>
 * Everything runs through the real wiring ({@code DeadLetteringEventProcessingModule} inside Axon's configuration),
 * with real pooled streaming and tracking processors, on one database per class. Sequence ids are aggregate ids
 * chosen by their hash: after segment 0 of one segment is split, {@link #LOWER} (segment 0, mask 1) takes even hashes
 * and {@link #UPPER} (segment 1, mask 1) odd ones.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class DeadLetteringSegmentMovesIntegrationTest {

    private static final Segment[] HALVES = Segment.ROOT_SEGMENT.split();
    private static final Segment LOWER = HALVES[0];
    private static final Segment UPPER = HALVES[1];
    /** Hashes into the lower half. */
    private static final String X = "X";
    /** Hashes into the upper half. */
    private static final String Y = "Y";
    private static final String W = "W";

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    private final List<InvokerFixture> nodes = new ArrayList<>();
    private final RecordingInterceptor deliveries = new RecordingInterceptor();

    @BeforeEach
    void prepare() {
        InvokerFixture.prepareDatabase(database, pool);
        assertThat(LOWER.matches(Objects.hashCode(X))).as("X in the lower half").isTrue();
        assertThat(UPPER.matches(Objects.hashCode(Y))).as("Y in the upper half").isTrue();
        assertThat(UPPER.matches(Objects.hashCode(W))).as("W in the upper half").isTrue();
    }

    @AfterEach
    void shutDown() {
        // The second node first: it may hold a segment the first one waits for.
        for (int i = nodes.size() - 1; i >= 0; i--) {
            nodes.get(i).close();
        }
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10));
    }

    private InvokerFixture node(String nodeId, Duration claimTimeout) {
        InvokerFixture node = new InvokerFixture(database, pool, pool, nodeId, claimTimeout);
        nodes.add(node);
        return node;
    }

    private InvokerFixture otherNode(InvokerFixture first, String nodeId) {
        InvokerFixture node = first.otherNode(nodeId);
        nodes.add(node);
        return node;
    }

    /**
     * One segment to start with, the recording interceptor, and for the pooled processor a claim extension far in
     * the future: a work package stores the token of events it cannot handle only when it extends its claim, so a
     * half that handled nothing keeps its old token until the merge (as it would with the default 5 s in any
     * merge that follows a dead letter within 5 s).
     */
    private Options options(ProcessorType type, long claimExtensionMillis) {
        return Options.of(type).segments(1).threads(2).batchSize(5).customizer(ep -> {
            ep.registerHandlerInterceptor(PROCESSOR, c -> deliveries);
            if (type == ProcessorType.POOLED) {
                ep.registerPooledStreamingEventProcessorConfiguration(
                        PROCESSOR, (c, builder) -> builder.claimExtensionThreshold(claimExtensionMillis));
            }
        });
    }

    /** Segment id → segment, for the segments this node's processor works on now. */
    private static Map<Integer, Segment> processing(InvokerFixture node) {
        Map<Integer, Segment> segments = new TreeMap<>();
        for (Map.Entry<Integer, EventTrackerStatus> entry : node.processor().processingStatus().entrySet()) {
            segments.put(entry.getKey(), entry.getValue().getSegment());
        }
        return segments;
    }

    private static void split(InvokerFixture node) throws Exception {
        assertThat(node.processor().splitSegment(0).get(30, TimeUnit.SECONDS)).as("split").isTrue();
        eventually().until(() -> processing(node).equals(Map.of(0, LOWER, 1, UPPER)));
        eventually().until(() -> node.tokensAtHead(2));
    }

    private static void merge(InvokerFixture node) throws Exception {
        assertThat(node.processor().mergeSegment(0).get(30, TimeUnit.SECONDS)).as("merge").isTrue();
        eventually().until(() -> processing(node).equals(Map.of(0, Segment.ROOT_SEGMENT)));
        eventually().until(() -> node.tokensAtHead(1));
    }

    private static List<Long> seqs(List<StoredLetter> letters) {
        return letters.stream().map(l -> ((ThingHappened) l.message().getPayload()).seq()).toList();
    }

    /** Axon may deliver events of healthy sequences again on a merge: what counts is that each took effect in order. */
    private static List<Long> distinct(List<Long> projected) {
        return List.copyOf(new LinkedHashSet<>(projected));
    }

    /** Asserts the sequence holds exactly one letter per given event, the head failed and the rest parked. */
    private static void assertLetters(InvokerFixture f, String aggregate, Long... seqs) {
        List<StoredLetter> letters = f.letters(aggregate);
        assertThat(seqs(letters)).as("letters of %s, one per event, in stream order", aggregate)
                                 .containsExactly(seqs);
        assertThat(letters.get(0).parked()).as("head letter of %s failed", aggregate).isFalse();
        assertThat(letters.subList(1, letters.size())).as("followers of %s parked", aggregate)
                                                      .allSatisfy(l -> assertThat(l.parked()).isTrue());
    }

    private static void assertRedeliveryDrainsInOrder(InvokerFixture f, String aggregate, List<Long> expected) {
        RedeliveryResult result = f.redeliverer().redeliver(GROUP, f.key(aggregate));
        assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(f.projected(aggregate)).as("projection of %s after redelivery", aggregate)
                                          .containsExactlyElementsOf(expected);
        assertThat(f.store.contains(GROUP, f.key(aggregate))).isFalse();
    }

    // --- one node: split and merge ------------------------------------------------------------------------------

    /**
     * Split, dead-letter Y1 in the new upper half, merge back. The merged segment equals the segment of the start,
     * whose parked set (loaded before the split) has no Y: Y's next event must still be parked behind Y1.
     * The lower half stored its token after Y1 (it handled X1, published after Y1), so the merge delivers no Y event
     * again: this is the stale parked set alone.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void afterSplitDeadLetterAndMergeTheNextEventOfTheSequenceIsParkedBehindItsLetter(ProcessorType type)
            throws Exception {
        InvokerFixture f = node("node-A", Duration.ofSeconds(10)).start(options(type, 5_000));
        f.publish(List.of(f.next(X), f.next(Y)));
        eventually().untilAsserted(() -> {
            assertThat(f.projected(X)).containsExactly(0L);
            assertThat(f.projected(Y)).containsExactly(0L);
        });
        eventually().until(() -> f.tokensAtHead(1));

        split(f);
        f.handler.faults.poisoned.add(Y);
        f.publish(List.of(f.next(Y), f.next(X)));
        eventually().untilAsserted(() -> {
            assertThat(f.sequenceSize(Y)).isEqualTo(1);
            assertThat(f.projected(X)).containsExactly(0L, 1L);
        });
        eventually().until(() -> f.tokensAtHead(2));
        merge(f);
        f.handler.faults.clear();

        f.publish(List.of(f.next(Y)));
        eventually().until(() -> f.tokensAtHead(1));

        assertThat(deliveries.deliveries("Y#1")).as("the merge delivered Y1 once only").isEqualTo(1);
        assertThat(f.handler.invocations("Y#2")).as("Y2 is parked behind Y1, never handled live").isZero();
        assertThat(f.projected(Y)).as("projection of Y").containsExactly(0L);
        assertLetters(f, Y, 1L, 2L);
        assertThat(f.handler.invocations("Y#1")).as("Y1: max attempts, once").isEqualTo(3);
        assertThat(distinct(f.projected(X))).containsExactly(0L, 1L);

        assertRedeliveryDrainsInOrder(f, Y, List.of(0L, 1L, 2L));
    }

    /**
     * The reproduction: split, dead-letter Y1 in the upper half, merge back while the lower half's token is
     * still before Y1, so the merged segment gets Y1 again (Axon delivers at least once). That delivery must not
     * become a second letter nor run Y1's handler again, and Y2 must be parked behind the one letter.
     * Measured on the pre-fix main: Y1 ran 6 times and was dead-lettered twice.
     */
    @Test
    void pooledMergeThatDeliversTheDeadLetteredEventAgainKeepsOneLetterAndParksTheNextEvent() throws Exception {
        InvokerFixture f = node("node-A", Duration.ofSeconds(10)).start(options(ProcessorType.POOLED, 120_000));
        f.publish(List.of(f.next(X), f.next(Y)));
        eventually().untilAsserted(() -> {
            assertThat(f.projected(X)).containsExactly(0L);
            assertThat(f.projected(Y)).containsExactly(0L);
        });
        eventually().until(() -> f.tokensAtHead(1));

        split(f);
        // Z is healthy and lives in Y's half: applied there before the merge, delivered again by it.
        String z = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "Z" + i)
                                             .filter(id -> (id.hashCode() & 1) == (Y.hashCode() & 1))
                                             .findFirst().orElseThrow();
        f.handler.faults.poisoned.add(Y);
        f.publish(List.of(f.next(Y), f.next(z)));
        eventually().untilAsserted(() -> assertThat(f.sequenceSize(Y)).isEqualTo(1));
        eventually().untilAsserted(() -> assertThat(f.projected(z)).containsExactly(0L));
        eventually().until(() -> f.tokensAtHead(2));
        merge(f);
        assertThat(deliveries.deliveries("Y#1")).as("the merge delivered Y1 again").isEqualTo(2);
        eventually().untilAsserted(() -> assertThat(deliveries.deliveries(z + "#0"))
                .as("the merge delivered Z0 again").isEqualTo(2));
        assertThat(f.handler.invocations(z + "#0")).as("Z0 applied once: its half had handled it").isEqualTo(1);
        assertThat(f.projected(z)).containsExactly(0L);
        f.handler.faults.clear();

        f.publish(List.of(f.next(Y)));
        eventually().until(() -> f.tokensAtHead(1));

        assertLetters(f, Y, 1L, 2L);
        assertThat(f.handler.invocations("Y#1")).as("Y1's handler: max attempts of its first delivery only")
                                                .isEqualTo(3);
        assertThat(f.handler.invocations("Y#2")).as("Y2 is parked behind Y1, never handled live").isZero();
        assertThat(f.projected(Y)).containsExactly(0L);
        assertThat(f.projected(X)).containsExactly(0L);

        assertRedeliveryDrainsInOrder(f, Y, List.of(0L, 1L, 2L));
    }

    /**
     * Two segments merged, W1 dead-lettered in the merged segment, then split again: the upper half equals the
     * segment W0 was handled in before the merge, whose parked set has no W. W's next event must be parked.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void afterMergeDeadLetterAndSplitTheNextEventOfTheSequenceIsParkedBehindItsLetter(ProcessorType type)
            throws Exception {
        InvokerFixture f = node("node-A", Duration.ofSeconds(10)).start(options(type, 5_000).segments(2));
        // W0 first: the lower half's token (stored with X0) passes W0, so the merge delivers no W event again
        // (it may deliver X0 again: Axon delivers at least once).
        f.publish(List.of(f.next(W), f.next(X)));
        eventually().untilAsserted(() -> {
            assertThat(f.projected(X)).containsExactly(0L);
            assertThat(f.projected(W)).containsExactly(0L);
        });
        eventually().until(() -> processing(f).equals(Map.of(0, LOWER, 1, UPPER)) && f.tokensAtHead(2));
        merge(f);
        assertThat(deliveries.deliveries("W#0")).as("the merge delivered no W event again").isEqualTo(1);
        f.handler.faults.poisoned.add(W);
        f.publish(List.of(f.next(W)));
        eventually().untilAsserted(() -> assertThat(f.sequenceSize(W)).isEqualTo(1));
        eventually().until(() -> f.tokensAtHead(1));
        split(f);
        f.handler.faults.clear();

        f.publish(List.of(f.next(W), f.next(X)));
        eventually().untilAsserted(() -> assertThat(distinct(f.projected(X))).containsExactly(0L, 1L));
        eventually().until(() -> f.tokensAtHead(2));

        assertThat(f.handler.invocations("W#2")).as("W2 is parked behind W1, never handled live").isZero();
        assertThat(f.projected(W)).as("projection of W").containsExactly(0L);
        assertLetters(f, W, 1L, 2L);
        assertThat(f.handler.invocations("W#1")).isEqualTo(3);

        assertRedeliveryDrainsInOrder(f, W, List.of(0L, 1L, 2L));
    }

    /**
     * A tracking processor catching up a merged token handles the events between the two halves' positions in the
     * half that is behind (a sub-segment). The lower half is held on X1 while the upper half dead-letters Y1 and
     * parks Y2; the merge then catches the lower half up (X2 in the sub-segment), and Y's later events are parked.
     */
    @Test
    void trackingProcessorCatchingUpAMergedTokenKeepsOneLetterPerEventAndParksFollowers() throws Exception {
        InvokerFixture f = node("node-A", Duration.ofSeconds(10))
                .start(options(ProcessorType.TRACKING, 5_000).segments(2));
        f.publish(List.of(f.next(X), f.next(Y)));
        eventually().untilAsserted(() -> {
            assertThat(f.projected(X)).containsExactly(0L);
            assertThat(f.projected(Y)).containsExactly(0L);
        });
        eventually().until(() -> f.tokensAtHead(2));

        CountDownLatch x1Entered = new CountDownLatch(1);
        CountDownLatch releaseX1 = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        // Whether the processor handled X2 in a batch of a merged token (the tracking processor keeps its batch's
        // token among the unit of work's resources).
        AtomicBoolean x2InMergedToken = new AtomicBoolean();
        f.handler.hook = (event, redelivery) -> {
            if (event.key().equals("X#2") && !redelivery) {
                x2InMergedToken.set(CurrentUnitOfWork.get().root().resources().values().stream()
                                                     .anyMatch(MergedTrackingToken.class::isInstance));
            }
            if (event.key().equals("X#1") && first.compareAndSet(true, false)) {
                x1Entered.countDown();
                awaitLatch(releaseX1);
            }
        };
        f.publish(List.of(f.next(X)));
        assertThat(x1Entered.await(30, TimeUnit.SECONDS)).isTrue();
        try {
            // The lower half is busy with X1 (its batch holds X1 only): the upper half runs ahead.
            f.handler.faults.poisoned.add(Y);
            f.publish(List.of(f.next(Y), f.next(X), f.next(Y)));
            eventually().untilAsserted(() -> assertThat(f.sequenceSize(Y)).isEqualTo(2));
            eventually().until(() -> atHead(f, 1));
            var merged = f.processor().mergeSegment(0);
            releaseX1.countDown();
            assertThat(merged.get(30, TimeUnit.SECONDS)).as("merge").isTrue();
        } finally {
            releaseX1.countDown();
        }
        eventually().until(() -> processing(f).equals(Map.of(0, Segment.ROOT_SEGMENT)));
        eventually().untilAsserted(() -> assertThat(f.projected(X)).containsExactly(0L, 1L, 2L));
        assertThat(x2InMergedToken).as("X2 handled while the merged token caught its lower half up").isTrue();
        f.handler.faults.clear();

        f.publish(List.of(f.next(Y), f.next(X)));
        eventually().untilAsserted(() -> assertThat(f.projected(X)).containsExactly(0L, 1L, 2L, 3L));
        eventually().until(() -> f.tokensAtHead(1));

        assertLetters(f, Y, 1L, 2L, 3L);
        assertThat(f.handler.invocations("Y#1")).isEqualTo(3);
        assertThat(f.handler.invocations("Y#2") + f.handler.invocations("Y#3")).as("followers never handled live")
                                                                              .isZero();
        assertThat(f.projected(Y)).containsExactly(0L);

        assertRedeliveryDrainsInOrder(f, Y, List.of(0L, 1L, 2L, 3L));
    }

    /** Whether the node works on the segment and its position is at or past the last published event. */
    private static boolean atHead(InvokerFixture node, int segmentId) {
        EventTrackerStatus status = node.processor().processingStatus().get(segmentId);
        return status != null && status.getCurrentPosition().isPresent()
                && status.getCurrentPosition().getAsLong() >= node.headPosition();
    }

    // --- two nodes: a segment moves away and comes back ---------------------------------------------------------

    /**
     * Node A handles the only segment and learns its parked set (empty); A releases it, B claims it and
     * dead-letters X1; B releases it and A claims it back. A's parked set from before must not be reused: X2 is
     * parked behind X1.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void segmentReleasedToAnotherNodeThatDeadLettersComesBackAndTheNextEventIsParked(ProcessorType type)
            throws Exception {
        InvokerFixture a = node("node-A", Duration.ofSeconds(10)).start(options(type, 200));
        InvokerFixture b = otherNode(a, "node-B");
        a.publish(List.of(a.next(X), a.next("Z")));
        eventually().untilAsserted(() -> assertThat(a.projected(X)).containsExactly(0L));
        eventually().until(() -> a.tokensAtHead(1));
        b.start(options(type, 200));

        a.processor().releaseSegment(0, 10, TimeUnit.MINUTES);
        eventually().until(() -> processing(a).isEmpty() && processing(b).equals(Map.of(0, Segment.ROOT_SEGMENT)));
        a.handler.faults.poisoned.add(X);
        b.publish(List.of(b.next(X)));
        eventually().untilAsserted(() -> assertThat(b.sequenceSize(X)).isEqualTo(1));
        eventually().until(() -> b.tokensAtHead(1));
        a.handler.faults.clear();

        moveBack(b, a);
        a.publish(List.of(a.next(X)));
        eventually().until(() -> a.tokensAtHead(1));

        assertThat(a.handler.invocations("X#2")).as("X2 is parked behind X1, never handled live").isZero();
        assertThat(a.projected(X)).as("projection of X").containsExactly(0L);
        assertLetters(a, X, 1L, 2L);
        assertThat(a.handler.invocations("X#1")).isEqualTo(3);

        assertRedeliveryDrainsInOrder(a, X, List.of(0L, 1L, 2L));
    }

    /**
     * As above, but node A loses the segment by its claim timing out: A's worker is stuck in a handler, B steals the
     * claim, handles the stuck event and dead-letters X1; A's stuck batch then fails to store its token and rolls
     * back. The segment comes back to A: X2 must be parked behind X1.
     * <p>
     * Pooled only: a tracking processor updates its token at the start of the batch's transaction, so the row lock
     * keeps B out while A's worker is stuck; it gives its claim up by releasing it (the test above).
     */
    @Test
    void segmentLostByClaimTimeoutToANodeThatDeadLettersComesBackAndTheNextEventIsParked() throws Exception {
        ProcessorType type = ProcessorType.POOLED;
        InvokerFixture a = node("node-A", Duration.ofSeconds(3)).start(options(type, 200));
        InvokerFixture b = otherNode(a, "node-B");
        a.publish(List.of(a.next(X), a.next("G")));
        eventually().untilAsserted(() -> assertThat(a.projected(X)).containsExactly(0L));
        eventually().until(() -> a.tokensAtHead(1));
        b.start(options(type, 200));

        // The first invocation of G1 is A's (A holds the segment): it blocks until B has taken over.
        CountDownLatch g1Entered = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        a.handler.hook = (event, redelivery) -> {
            if (event.key().equals("G#1") && first.compareAndSet(true, false)) {
                g1Entered.countDown();
                awaitLatch(releaseA);
            }
        };
        try {
            a.publish(List.of(a.next("G")));
            assertThat(g1Entered.await(30, TimeUnit.SECONDS)).isTrue();
            eventually().untilAsserted(() -> assertThat(a.projected("G")).containsExactly(0L, 1L));
            assertThat(processing(b)).as("B took the segment over").containsKey(0);
            a.handler.faults.poisoned.add(X);
            b.publish(List.of(b.next(X)));
            eventually().untilAsserted(() -> assertThat(b.sequenceSize(X)).isEqualTo(1));
            eventually().until(() -> b.tokensAtHead(1));
        } finally {
            releaseA.countDown();
        }
        assertThat(a.handler.invocations("G#1")).as("A's stuck attempt and B's").isEqualTo(2);
        a.handler.faults.clear();

        moveBack(b, a);
        a.publish(List.of(a.next(X)));
        eventually().until(() -> a.tokensAtHead(1));

        assertThat(a.projected("G")).as("G1 took effect once").containsExactly(0L, 1L);
        assertThat(a.handler.invocations("X#2")).as("X2 is parked behind X1, never handled live").isZero();
        assertThat(a.projected(X)).as("projection of X").containsExactly(0L);
        assertLetters(a, X, 1L, 2L);

        assertRedeliveryDrainsInOrder(a, X, List.of(0L, 1L, 2L));
    }

    /**
     * {@code from} releases segment 0 (for long), {@code to} claims it and catches up. The claim instruction lifts
     * any release deadline {@code to} had; if it finds the segment not free yet, {@code to}'s claim loop takes it.
     */
    private static void moveBack(InvokerFixture from, InvokerFixture to) {
        from.processor().releaseSegment(0, 10, TimeUnit.MINUTES);
        eventually().until(() -> processing(from).isEmpty());
        to.processor().claimSegment(0).exceptionally(e -> false).join();
        eventually().until(() -> processing(to).equals(Map.of(0, Segment.ROOT_SEGMENT)));
        eventually().until(() -> to.tokensAtHead(1));
    }

    // --- at most one letter per event ---------------------------------------------------------------------------

    /**
     * The token moves back to before a dead-lettered event (as after a lost claim whose commit did not make it, or a
     * node restoring an older token), so the processor delivers the letter's event and its parked follower again.
     * Neither may become a second letter.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void eventsDeliveredAgainAfterTheTokenMovedBackAreNotLetteredTwice(ProcessorType type) {
        CountingObserver counted = new CountingObserver();
        InvokerFixture f = node("node-A", Duration.ofSeconds(10)).start(options(type, 5_000).observer(counted));
        f.publish(List.of(f.next(X)));
        eventually().untilAsserted(() -> assertThat(f.projected(X)).containsExactly(0L));
        eventually().until(() -> f.tokensAtHead(1));
        TrackingToken beforeY = new GlobalSequenceTrackingToken(f.headPosition());

        f.handler.faults.poisoned.add(Y);
        f.publish(List.of(f.next(Y), f.next(Y)));
        eventually().untilAsserted(() -> assertThat(f.sequenceSize(Y)).isEqualTo(2));
        eventually().until(() -> f.tokensAtHead(1));

        f.shutdown();
        new TransactionTemplate(f.springTransactions).executeWithoutResult(s -> {
            f.tokenStore.storeToken(beforeY, PROCESSOR, 0);
            f.tokenStore.releaseClaim(PROCESSOR, 0);
        });
        f.start(f.options);
        eventually().until(() -> f.tokensAtHead(1));
        assertThat(deliveries.deliveries("Y#0")).as("Y0 delivered again").isEqualTo(2);
        assertThat(deliveries.deliveries("Y#1")).as("Y1 delivered again").isEqualTo(2);
        f.handler.faults.clear();
        f.publish(List.of(f.next(Y)));
        eventually().until(() -> f.tokensAtHead(1));

        assertLetters(f, Y, 0L, 1L, 2L);
        // Metrics count letters, not deliveries: letters = enqueued + parked.
        assertThat(counted.deadLettered.get()).as("enqueued count (Y0)").isEqualTo(1);
        assertThat(counted.parked.get()).as("parked count (Y1, Y2)").isEqualTo(2);
        assertThat(f.handler.invocations("Y#0")).as("Y0's handler: max attempts of its first delivery only")
                                                .isEqualTo(3);
        assertThat(f.projected(Y)).isEmpty();

        assertRedeliveryDrainsInOrder(f, Y, List.of(0L, 1L, 2L));
    }

    /**
     * An event the group's sequencing policy cannot place is a letter of its own (under its event identifier). When
     * the token moves back before it, Axon delivers it again: the policy fails again, and the event, a letter already,
     * goes to the store's enqueue (not to the parked path, which the other test covers). The store keeps one letter;
     * the metrics must count one too.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void anUnsequencedEventDeliveredAgainAfterTheTokenMovedBackIsCountedOnce(ProcessorType type) {
        CountingObserver counted = new CountingObserver();
        Options base = options(type, 5_000).observer(counted);
        InvokerFixture f = node("node-A", Duration.ofSeconds(10)).start(base.customizer(ep -> {
            base.customizer().accept(ep);
            ep.registerSequencingPolicy(GROUP, c -> event -> {
                if (event.getPayload() instanceof ThingHappened thing && thing.key().equals("U#0")) {
                    throw new IllegalStateException("cannot tell the sequence of " + thing.key());
                }
                return SequentialPerAggregatePolicy.instance().getSequenceIdentifierFor(event);
            });
        }));
        f.publish(List.of(f.next(X)));
        eventually().untilAsserted(() -> assertThat(f.projected(X)).containsExactly(0L));
        eventually().until(() -> f.tokensAtHead(1));
        TrackingToken beforeU = new GlobalSequenceTrackingToken(f.headPosition());

        f.publish(List.of(f.next("U")));
        eventually().untilAsserted(() -> assertThat(f.store.size(GROUP)).isEqualTo(1));
        eventually().until(() -> f.tokensAtHead(1));
        assertThat(counted.deadLettered.get()).as("enqueued count after the first delivery").isEqualTo(1);

        f.shutdown();
        new TransactionTemplate(f.springTransactions).executeWithoutResult(s -> {
            f.tokenStore.storeToken(beforeU, PROCESSOR, 0);
            f.tokenStore.releaseClaim(PROCESSOR, 0);
        });
        f.start(f.options);
        eventually().until(() -> f.tokensAtHead(1));
        assertThat(deliveries.deliveries("U#0")).as("U0 delivered again").isEqualTo(2);

        assertThat(f.store.size(GROUP)).as("one letter: U0's").isEqualTo(1);
        assertThat(counted.deadLettered.get()).as("enqueued count (U0)").isEqualTo(1);
    }

    /** Counts what the observer (the metrics) hears. */
    private static final class CountingObserver implements DeadLetterObserver {
        final AtomicInteger deadLettered = new AtomicInteger();
        final AtomicInteger parked = new AtomicInteger();

        @Override
        public void deadLettered(String processingGroup, EventMessage<?> event,
                                 Throwable cause, int attempts) {
            deadLettered.incrementAndGet();
        }

        @Override
        public void parked(String processingGroup, EventMessage<?> event) {
            parked.incrementAndGet();
        }
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
