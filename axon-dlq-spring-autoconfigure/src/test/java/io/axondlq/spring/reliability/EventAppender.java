package io.axondlq.spring.reliability;

import io.axondlq.spring.reliability.app.ItemRecorded;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.PostgresTokenTableFactory;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.json.JacksonSerializer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The test process's writer into the shared event store: Axon's own {@link JdbcEventStorageEngine} on the same tables
 * the nodes read (default schema, Jackson), so the nodes see exactly what an application would have published.
 */
final class EventAppender {

    static final String AGGREGATE_TYPE = "Item";

    private final JdbcEventStorageEngine engine;
    private final Map<String, AtomicLong> nextSeq = new ConcurrentHashMap<>();

    EventAppender(DataSource dataSource) {
        ConnectionProvider connections = dataSource::getConnection;
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        this.engine = JdbcEventStorageEngine.builder()
                                            .connectionProvider(connections)
                                            .transactionManager(NoTransactionManager.INSTANCE)
                                            .eventSerializer(serializer)
                                            .snapshotSerializer(serializer)
                                            .build();
    }

    /** Axon's event and token tables, PostgreSQL flavour. */
    static void createAxonSchema(DataSource dataSource) {
        new EventAppender(dataSource).engine.createSchema(PostgresEventTableFactory.INSTANCE);
        JdbcTokenStore.builder()
                      .connectionProvider(dataSource::getConnection)
                      .serializer(JacksonSerializer.defaultSerializer())
                      .build()
                      .createSchema(PostgresTokenTableFactory.INSTANCE);
    }

    /** One event of a planned workload. */
    record Planned(String aggregateId, long seq, String eventId) {
    }

    void append(List<Planned> events) {
        List<DomainEventMessage<?>> messages = new ArrayList<>(events.size());
        for (Planned e : events) {
            messages.add(new GenericDomainEventMessage<>(AGGREGATE_TYPE, e.aggregateId(), e.seq(),
                                                         new ItemRecorded(e.aggregateId(), e.seq()),
                                                         MetaData.with("origin", "reliability"), e.eventId(),
                                                         Instant.now()));
        }
        engine.appendEvents(messages);
    }

    /** Appends the next event of each aggregate, numbering per aggregate from 0 (for hand-made scenarios). */
    List<Planned> appendNext(String... aggregateIds) {
        List<Planned> events = new ArrayList<>();
        for (String aggregateId : aggregateIds) {
            long seq = nextSeq.computeIfAbsent(aggregateId, k -> new AtomicLong()).getAndIncrement();
            events.add(new Planned(aggregateId, seq, java.util.UUID.randomUUID().toString()));
        }
        append(events);
        return events;
    }
}
