package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.deadletter.DeadLetteringEventHandlerInvoker;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * I6 on Axon's own path: a letter whose payload class is gone must not stall Axon's
 * {@code sequencedDeadLetterProcessor(group).processAny()} for every other sequence of the group.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class UnreadableLetterProcessAnyTest {

    @TestDataSource
    DataSource dataSource;

    public record OrderPlaced(String orderId) {
    }

    public static final class Handler {
        final List<String> handled = new CopyOnWriteArrayList<>();

        @EventHandler
        public void on(OrderPlaced event) {
            handled.add(event.orderId());
        }
    }

    @AfterEach
    void resetClock() {
        GenericDeadLetter.clock = Clock.systemUTC();
    }

    /** Group with an unreadable, older sequence "legacy" and a readable, newer sequence "fine". */
    private GroupDeadLetterQueue queueWithUnreadableOldestSequence() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder().dataSource(dataSource)
                                                       .eventSerializer(serializer).genericSerializer(serializer)
                                                       .limits(new DeadLetterLimits(1000, 1000))
                                                       .nodeId("node-a").build();
        String group = "group-" + UUID.randomUUID();
        GenericDeadLetter.clock = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);
        UUID legacy = store.enqueue(group, LetterDraft.failed("legacy",
                                                              GenericEventMessage.asEventMessage(new OrderPlaced("legacy")),
                                                              new IllegalStateException("boom"), List.of()));
        new JdbcTemplate(dataSource).update("UPDATE axon_dlq_letter SET payload_type = ? WHERE letter_id = ?",
                                            "com.example.removed.LegacyOrderEvent", legacy);
        GenericDeadLetter.clock = Clock.fixed(Instant.parse("2030-01-01T00:01:00Z"), ZoneOffset.UTC);
        store.enqueue(group, LetterDraft.failed("fine", GenericEventMessage.asEventMessage(new OrderPlaced("fine")),
                                                new IllegalStateException("boom"), List.of()));
        GenericDeadLetter.clock = Clock.systemUTC();
        return GroupDeadLetterQueue.create(store, group);
    }

    @Test
    void processWithAFilterOnTheEventReachesAReadableSequenceBehindAnUnreadableOne() {
        GroupDeadLetterQueue queue = queueWithUnreadableOldestSequence();
        Handler handler = new Handler();
        DeadLetteringEventHandlerInvoker invoker = DeadLetteringEventHandlerInvoker.builder()
                                                                                   .eventHandlers(handler)
                                                                                   .queue(queue)
                                                                                   .transactionManager(NoTransactionManager.instance())
                                                                                   .build();
        String failure = null;
        try {
            // Axon's documented use: process the sequence whose letter carries a given event.
            invoker.process(letter -> letter.message().getPayload().equals(new OrderPlaced("fine")));
        } catch (RuntimeException e) {
            failure = String.valueOf(e.getCause());
        }
        assertThat(handler.handled).as("process(filter) targeting 'fine'; failure: %s", failure).contains("fine");
    }

    @Test
    void anUnreadableLetterDoesNotStallProcessAnyForTheOtherSequencesOfTheGroup() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder().dataSource(dataSource)
                                                       .eventSerializer(serializer).genericSerializer(serializer)
                                                       .limits(new DeadLetterLimits(1000, 1000))
                                                       .nodeId("node-a").build();
        String group = "group-" + UUID.randomUUID();
        GroupDeadLetterQueue queue = GroupDeadLetterQueue.create(store, group);

        // The unreadable letter is the oldest (stored before a deploy that removed its payload class).
        GenericDeadLetter.clock = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);
        UUID legacy = store.enqueue(group, LetterDraft.failed("legacy",
                                                              GenericEventMessage.asEventMessage(new OrderPlaced("legacy")),
                                                              new IllegalStateException("boom"), List.of()));
        new JdbcTemplate(dataSource).update("UPDATE axon_dlq_letter SET payload_type = ? WHERE letter_id = ?",
                                            "com.example.removed.LegacyOrderEvent", legacy);
        GenericDeadLetter.clock = Clock.fixed(Instant.parse("2030-01-01T00:01:00Z"), ZoneOffset.UTC);
        store.enqueue(group, LetterDraft.failed("fine", GenericEventMessage.asEventMessage(new OrderPlaced("fine")),
                                                new IllegalStateException("boom"), List.of()));
        GenericDeadLetter.clock = Clock.systemUTC();

        Handler handler = new Handler();
        DeadLetteringEventHandlerInvoker invoker = DeadLetteringEventHandlerInvoker.builder()
                                                                                   .eventHandlers(handler)
                                                                                   .queue(queue)
                                                                                   .transactionManager(NoTransactionManager.instance())
                                                                                   .build();

        // An operator (or Axon's sequencedDeadLetterProcessor loop) calls processAny a few times.
        List<String> failures = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 5 && !handler.handled.contains("fine"); i++) {
            try {
                invoker.processAny();
            } catch (RuntimeException e) {
                // the unreadable letter's failure; the next call must get past it
                failures.add(String.valueOf(e.getCause()));
            }
        }

        assertThat(handler.handled)
                .as("the readable sequence 'fine' is processed although the older sequence 'legacy' is unreadable; "
                    + "processAny failures: %s", failures)
                .contains("fine");
        assertThat(queue.contains("legacy")).as("the unreadable letter is kept").isTrue();
    }
}
