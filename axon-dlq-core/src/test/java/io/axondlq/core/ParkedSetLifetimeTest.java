package io.axondlq.core;

import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.tx.Savepoints;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.Segment;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How long a group's parked set of a segment lives, driven through the processor-level invoker's claim and release
 * reports (which the module feeds from the processor's token store; {@code SegmentMoveWiringTest} shows that
 * wiring). A set lives while this node holds the claim it was loaded under: a claim or release of a segment drops
 * that segment's sets and those of segments this node does not hold, and keeps the others.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class ParkedSetLifetimeTest {

    private static final JacksonSerializer SERIALIZER = JacksonSerializer.defaultSerializer();
    private static final Segment LOWER = Segment.computeSegment(0, 0, 1);
    private static final Segment UPPER = Segment.computeSegment(1, 0, 1);

    @TestDataSource
    DataSource pool;

    private CountingDataSource counting;
    private JdbcDeadLetterStore store;
    private String group;
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private DeadLetteringProcessorInvoker processor;

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(pool, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        counting = new CountingDataSource(pool);
        store = JdbcDeadLetterStore.builder().dataSource(counting).eventSerializer(SERIALIZER)
                                   .genericSerializer(SERIALIZER).nodeId("node-a").build();
        group = "group-" + UUID.randomUUID();
        DeadLetteringEventHandlerInvoker invoker = RecordingInvokers.recording(group, store, "node-a", handled);
        processor = new DeadLetteringProcessorInvoker(List.of(invoker), Savepoints.NONE, false, true);
    }

    @Test
    void aClaimOfOneSegmentKeepsTheParkedSetOfAnotherSegmentThisNodeHolds() throws Exception {
        String lower = aggregateIn(LOWER);
        String upper = aggregateIn(UPPER);
        claimBothAndHandleOneEventEach(lower, upper);
        assertThat(loads()).as("one load per segment").isEqualTo(2);

        counting.reset();
        processor.claimReleased(1);
        processor.segmentClaimed(1);
        handle(lower, 1, LOWER);
        handle(upper, 1, UPPER);
        assertThat(loads()).as("only the segment whose claim moved loads again").isEqualTo(1);
        assertThat(handled).containsExactly(lower + "#0", upper + "#0", lower + "#1", upper + "#1");
    }

    @Test
    void aReleaseReportedByTheProcessorDropsThatSegmentsSetOnly() throws Exception {
        String lower = aggregateIn(LOWER);
        String upper = aggregateIn(UPPER);
        claimBothAndHandleOneEventEach(lower, upper);

        counting.reset();
        processor.segmentReleased(LOWER);
        handle(lower, 1, LOWER);
        handle(upper, 1, UPPER);
        assertThat(loads()).isEqualTo(1);
    }

    /**
     * Catching up a merged token, a processor hands events to the halves (segment 1 here) while it holds only the
     * merged segment's claim (id 0). Segment 1 may then go to another node, which parks a sequence of it; when this
     * node later catches a merged token up again, it must not trust segment 1's set from before.
     */
    @Test
    void aSetLoadedForAHalfThisNodeDoesNotHoldEndsWithTheNextClaim() throws Exception {
        String upper = aggregateIn(UPPER);
        processor.segmentClaimed(0);
        handle(upper, 0, UPPER);
        assertThat(handled).containsExactly(upper + "#0");

        // Another node holds segment 1 meanwhile and dead-letters the sequence's next event.
        EventMessage<?> poisoned = event(upper, 1);
        store.enqueue(group, LetterDraft.failed(upper, poisoned, new IllegalStateException("poison"), List.of()));
        processor.segmentClaimed(0);
        handle(upper, 2, UPPER);

        assertThat(handled).as("parked behind the other node's letter").containsExactly(upper + "#0");
        assertThat(store.sequenceSize(group, store.sequenceKey(upper))).isEqualTo(2);
    }

    private void claimBothAndHandleOneEventEach(String lower, String upper) throws Exception {
        processor.segmentClaimed(0);
        processor.segmentClaimed(1);
        handle(lower, 0, LOWER);
        handle(upper, 0, UPPER);
    }

    private int loads() {
        return counting.countMatching("SELECT sequence_key FROM axon_dlq_sequence WHERE processing_group");
    }

    private void handle(String aggregateId, long seq, Segment segment) throws Exception {
        EventMessage<?> message = event(aggregateId, seq);
        DefaultUnitOfWork.startAndGet(message).executeWithResult(() -> {
            processor.handle(message, segment);
            return null;
        });
    }

    private static EventMessage<?> event(String aggregateId, long seq) {
        return new GenericDomainEventMessage<>("Thing", aggregateId, seq, new ThingHappened(aggregateId, seq));
    }

    /** An aggregate identifier (the sequence identifier of the default policy) that falls into {@code segment}. */
    private static String aggregateIn(Segment segment) {
        return IntStream.range(0, 1000).mapToObj(i -> "agg-" + i)
                        .filter(id -> segment.matches(id.hashCode())).findFirst().orElseThrow();
    }
}
