package io.axondlq.jdbc;

import io.axondlq.core.store.DeadLetterLimits;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueueTest;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import javax.sql.DataSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Axon's own contract suite for {@link SequencedDeadLetterQueue} implementations, run against our store. Subclassed
 * once per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class AxonQueueContractTest extends SequencedDeadLetterQueueTest<EventMessage<?>> {

    private static final int MAX_SEQUENCES_AND_SEQUENCE_SIZE = 64;

    @TestDataSource
    DataSource dataSource;

    @Override
    protected SequencedDeadLetterQueue<EventMessage<?>> buildTestSubject() {
        SchemaInitializer.initialize(dataSource, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        JdbcDeadLetterStore store = JdbcDeadLetterStore.builder()
                                                       .dataSource(dataSource)
                                                       .eventSerializer(serializer)
                                                       .genericSerializer(serializer)
                                                       .limits(new DeadLetterLimits(MAX_SEQUENCES_AND_SEQUENCE_SIZE,
                                                                                    MAX_SEQUENCES_AND_SEQUENCE_SIZE))
                                                       .build();
        // A fresh group per test isolates tests sharing the class's database.
        return GroupDeadLetterQueue.create(store, "contract-" + UUID.randomUUID());
    }

    @AfterEach
    void resetClock() {
        GenericDeadLetter.clock = Clock.systemUTC();
    }

    @Override
    protected long maxSequences() {
        return MAX_SEQUENCES_AND_SEQUENCE_SIZE;
    }

    @Override
    protected long maxSequenceSize() {
        return MAX_SEQUENCES_AND_SEQUENCE_SIZE;
    }

    @Override
    protected DeadLetter<EventMessage<?>> generateInitialLetter() {
        return new GenericDeadLetter<>("sequenceIdentifier", generateEvent(), generateThrowable());
    }

    @Override
    protected DeadLetter<EventMessage<?>> generateFollowUpLetter() {
        return new GenericDeadLetter<>("sequenceIdentifier", generateEvent());
    }

    /** A letter of ours that the store never saw: same content, unknown id. */
    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    protected DeadLetter<EventMessage<?>> mapToQueueImplementation(DeadLetter<EventMessage<?>> letter) {
        if (letter instanceof StoredLetter) {
            return letter;
        }
        EventMessage<?> message = letter.message();
        LetterDraft draft = LetterDraft.of("unknown", letter);
        SerializedEvent event = new SerializedEvent(message.getIdentifier(), message.getClass().getName(),
                                                    String.class.getName(), null, new byte[0], null, null, null,
                                                    null, null, null, message.getTimestamp());
        return (DeadLetter) new StoredLetter(UUID.randomUUID(), "unknown", "unknown", 0, event,
                                             draft.enqueuedAt(), draft.lastTouched(), letter.cause().orElse(null),
                                             null, 1, letter.diagnostics(), null, null, false,
                                             (id, e) -> message);
    }

    @Override
    protected void setClock(Clock clock) {
        GenericDeadLetter.clock = clock;
    }

    /** Messages have no equals(); compare what is stored, at the microsecond precision both databases keep. */
    @Override
    protected void assertLetter(DeadLetter<? extends EventMessage<?>> expected,
                                DeadLetter<? extends EventMessage<?>> actual) {
        assertEquals(expected.message().getIdentifier(), actual.message().getIdentifier());
        assertEquals(expected.message().getPayload(), actual.message().getPayload());
        assertEquals(expected.message().getPayloadType(), actual.message().getPayloadType());
        assertEquals(expected.message().getMetaData(), actual.message().getMetaData());
        assertEquals(expected.cause(), actual.cause());
        assertEquals(micros(expected.enqueuedAt()), actual.enqueuedAt());
        assertEquals(micros(expected.lastTouched()), actual.lastTouched());
        assertEquals(expected.diagnostics(), actual.diagnostics());
    }

    private static Instant micros(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MICROS);
    }
}
