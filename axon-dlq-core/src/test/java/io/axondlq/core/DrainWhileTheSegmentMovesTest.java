package io.axondlq.core;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterGroups;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.tx.Savepoints;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
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
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A redelivery drains a sequence while its segment leaves this node and comes back: the parked set loaded on the way
 * back, after the drain committed, holds the sequence another node started anew meanwhile, and the drain must not drop
 * it (I2). Before the fix a set loaded then carried the drain's own mark and was dropped with the drained sequence.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class DrainWhileTheSegmentMovesTest {

    private static final JacksonSerializer SERIALIZER = JacksonSerializer.defaultSerializer();
    private static final Segment ROOT = Segment.ROOT_SEGMENT;

    @TestDataSource
    DataSource pool;

    private JdbcDeadLetterStore store;
    private String group;
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private DeadLetteringProcessorInvoker processor;
    private DeadLetterRedeliverer redeliverer;
    private Runnable afterLastLetterCommitted = () -> { };

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(pool, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        DataSourceTransactionManager tx = new DataSourceTransactionManager(pool);
        store = JdbcDeadLetterStore.builder().dataSource(pool).transactionManager(tx).eventSerializer(SERIALIZER)
                                   .genericSerializer(SERIALIZER).nodeId("node-x").build();
        group = "group-" + UUID.randomUUID();
        DeadLetteringEventHandlerInvoker invoker = RecordingInvokers.recording(group, store, "node-x", handled);
        processor = new DeadLetteringProcessorInvoker(List.of(invoker), Savepoints.NONE, false, true);
        DeadLetterGroups groups = new DeadLetterGroups();
        groups.register(new DeadLetterGroups.Binding(group, "processor", invoker, List::of,
                                                     new SpringTransactionManagerAdapter(tx)));
        redeliverer = new DeadLetterRedeliverer(store, groups, Duration.ofSeconds(30), new DeadLetterObserver() {
            @Override
            public void redelivered(String processingGroup, EventMessage<?> event) {
                afterLastLetterCommitted.run();
            }
        });
    }

    @Test
    void aSequenceStartedAnewByAnotherNodeIsNotForgottenByThisNodesDrain() throws Exception {
        // Sequence "a" parked by some node earlier: one letter a#0.
        store.enqueue(group, LetterDraft.failed("a", event("a", 0), new IllegalStateException("poison"), List.of()));
        processor.segmentClaimed(0);
        handle("other", 0); // node X loads its parked set: {a}
        handle("a", 1);     // parked behind a#0
        assertThat(handled).containsExactly("other#0");

        // Let the hook act after the last letter (a#1) committed.
        int[] seen = {0};
        afterLastLetterCommitted = () -> {
            if (++seen[0] != 2) {
                return;
            }
            try {
                // The segment moves to node Y, which handles a#2: it fails and starts sequence "a" anew ...
                processor.claimReleased(0);
                store.enqueue(group, LetterDraft.failed("a", event("a", 2), new IllegalStateException("poison"),
                                                        List.of()));
                // ... and comes back to node X, which loads the segment's parked set again: {a}, the new sequence.
                processor.segmentClaimed(0);
                handle("other", 1);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        RedeliveryResult result = redeliverer.redeliver(group, store.sequenceKey("a"));
        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(seen[0]).as("the segment moved between the last letter's commit and the drain").isEqualTo(2);
        assertThat(handled).as("the set was loaded on the way back").contains("other#1");
        assertThat(store.sequenceSize(group, store.sequenceKey("a"))).as("a#2 is a letter again").isEqualTo(1);

        handle("a", 3);
        assertThat(handled).as("a#3 must wait behind the letter a#2 (I2)").doesNotContain("a#3");
    }

    private void handle(String aggregateId, long seq) throws Exception {
        EventMessage<?> message = event(aggregateId, seq);
        var result = DefaultUnitOfWork.startAndGet(message).executeWithResult(() -> {
            processor.handle(message, ROOT);
            return null;
        });
        if (result.isExceptional()) {
            throw new IllegalStateException(result.exceptionResult());
        }
    }

    private static EventMessage<?> event(String aggregateId, long seq) {
        return new GenericDomainEventMessage<>("Thing", aggregateId, seq, new ThingHappened(aggregateId, seq));
    }
}
