package io.axondlq.core;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterGroups;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.tx.SpringTransactionManagerAdapter;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * "Redeliver the oldest sequence" when the sequence it listed first is gone by the time it claims it (another node
 * drained it, or an operator evicted it): it goes on with the next one instead of answering that there is nothing.
 * The real store, with the other node's eviction run right after the listing.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class RedeliverOldestRaceTest {

    private static final JacksonSerializer SERIALIZER = JacksonSerializer.defaultSerializer();

    @TestDataSource
    DataSource pool;

    private JdbcDeadLetterStore store;
    private String group;
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private final List<String> evictedAfterListing = new ArrayList<>();
    private DeadLetterRedeliverer redeliverer;

    @BeforeEach
    void setUp() {
        SchemaInitializer.initialize(pool, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        DataSourceTransactionManager tx = new DataSourceTransactionManager(pool);
        store = JdbcDeadLetterStore.builder().dataSource(pool).transactionManager(tx)
                                   .eventSerializer(SERIALIZER).genericSerializer(SERIALIZER)
                                   .nodeId("node-x").build();
        DeadLetterStore racing = racingStore(store);
        group = "group-" + UUID.randomUUID();
        DeadLetteringEventHandlerInvoker invoker = RecordingInvokers.recording(group, racing, "node-x", handled);
        DeadLetterGroups groups = new DeadLetterGroups();
        groups.register(new DeadLetterGroups.Binding(group, "processor", invoker, List::of,
                                                     new SpringTransactionManagerAdapter(tx)));
        redeliverer = new DeadLetterRedeliverer(racing, groups, Duration.ofSeconds(30), new DeadLetterObserver() {
        });
    }

    /** The store, but the first listing of claimable heads is followed at once by another node evicting the first. */
    private DeadLetterStore racingStore(JdbcDeadLetterStore real) {
        return (DeadLetterStore) Proxy.newProxyInstance(
                DeadLetterStore.class.getClassLoader(), new Class<?>[]{DeadLetterStore.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("claimableHeads") && evictedAfterListing.isEmpty()) {
                        @SuppressWarnings("unchecked")
                        Page<StoredLetter> heads = (Page<StoredLetter>) result;
                        String first = heads.items().get(0).sequenceKey();
                        real.evictSequence(group, first);
                        evictedAfterListing.add(first);
                    }
                    return result;
                });
    }

    @Test
    void theNextSequenceIsRedeliveredWhenTheOldestVanishedAfterTheListing() {
        store.enqueue(group, LetterDraft.failed("a", event("a", 0), new IllegalStateException("poison"), List.of()));
        store.enqueue(group, LetterDraft.failed("b", event("b", 0), new IllegalStateException("poison"), List.of()));

        RedeliveryResult result = redeliverer.redeliverOldest(group);

        assertThat(evictedAfterListing).as("the oldest sequence vanished between listing and claim")
                                       .containsExactly(store.sequenceKey("a"));
        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(result.sequenceKey()).isEqualTo(store.sequenceKey("b"));
        assertThat(handled).containsExactly("b#0");
    }

    private static EventMessage<?> event(String aggregateId, long seq) {
        return new GenericDomainEventMessage<>("Thing", aggregateId, seq, new ThingHappened(aggregateId, seq));
    }
}
