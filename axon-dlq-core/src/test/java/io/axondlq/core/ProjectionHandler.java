package io.axondlq.core;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.eventhandling.ResetHandler;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A JDBC projection in the same database as the dead-letter queue and the token store: one row per handled event,
 * in the processor's (or the redelivery's) transaction. Driven by a {@link Faults} switch. A processor reset empties
 * the projection.
 */
@ProcessingGroup(InvokerFixture.GROUP)
public class ProjectionHandler {

    /** Runs at the start of every invocation; tests use it to block or delay handling. */
    @FunctionalInterface
    interface Hook {
        void before(ThingHappened event, boolean redelivery) throws Exception;
    }

    /**
     * One invocation as the handler saw it.
     *
     * @param letter    the {@link DeadLetter} parameter Axon resolved: null live, the letter on redelivery
     * @param resources the unit of work's {@code axon-dlq.*} resources at the time
     */
    record Invocation(String eventKey, DeadLetter<EventMessage<?>> letter, Map<String, Object> resources) {
    }

    private static final String BATCH_ID = "test.batchId";

    final Faults faults = new Faults();
    /** Event key → number of invocations (attempts), live and redelivery. */
    final Map<String, AtomicInteger> invocations = new ConcurrentHashMap<>();
    /** Event key → id of the root unit of work (the processor's batch) of its latest invocation. */
    final Map<String, String> batchOf = new ConcurrentHashMap<>();
    /** Every invocation, in order. */
    final List<Invocation> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger resets = new AtomicInteger();
    volatile Hook hook = (event, redelivery) -> {
    };
    /** Runs in the reset handler, after it cleared the projection (in the reset's transaction). */
    volatile ThrowingRunnable afterReset = () -> {
    };

    private final JdbcTemplate jdbc;

    ProjectionHandler(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    @EventHandler
    public void on(ThingHappened event, DeadLetter<EventMessage<?>> letter) throws Exception {
        invocations.computeIfAbsent(event.key(), k -> new AtomicInteger()).incrementAndGet();
        Map<String, Object> resources = new HashMap<>();
        CurrentUnitOfWork.ifStarted(uow -> {
            batchOf.put(event.key(), uow.root().getOrComputeResource(BATCH_ID, k -> UUID.randomUUID().toString()));
            uow.resources().forEach((k, v) -> {
                if (k.startsWith("axon-dlq.")) {
                    resources.put(k, v);
                }
            });
        });
        calls.add(new Invocation(event.key(), letter, Map.copyOf(resources)));
        hook.before(event, letter != null);
        faults.beforeWrite(event);
        jdbc.update("INSERT INTO projection (aggregate_id, seq, redelivered) VALUES (?, ?, ?)",
                    event.aggregateId(), event.seq(), letter != null);
        if (faults.uniqueViolation.contains(event.key())) {
            jdbc.update("INSERT INTO unique_guard (k) VALUES ('taken')");
        }
        if (faults.swallowedUniqueViolation.contains(event.key())) {
            try {
                jdbc.update("INSERT INTO unique_guard (k) VALUES ('taken')");
            } catch (DataAccessException swallowed) {
                // What a careless handler does: the error is gone, the transaction's state is not.
            }
        }
        faults.afterWrite(event);
    }

    @ResetHandler
    public void onReset() {
        resets.incrementAndGet();
        jdbc.update("DELETE FROM projection");
        try {
            afterReset.run();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    int invocations(String eventKey) {
        AtomicInteger count = invocations.get(eventKey);
        return count == null ? 0 : count.get();
    }

    /** The invocations of one event, in order. */
    List<Invocation> calls(String eventKey) {
        return calls.stream().filter(c -> c.eventKey().equals(eventKey)).toList();
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
