package io.axondlq.core;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;

/**
 * A JDBC projection in the same database as the dead-letter queue and the token store: one row per handled event,
 * in the processor's (or the redelivery's) transaction. Driven by a {@link Faults} switch.
 */
@ProcessingGroup(InvokerFixture.GROUP)
public class ProjectionHandler {

    /** Runs at the start of every invocation; tests use it to block or delay handling. */
    @FunctionalInterface
    interface Hook {
        void before(ThingHappened event, boolean redelivery) throws Exception;
    }

    private static final String BATCH_ID = "test.batchId";

    final Faults faults = new Faults();
    /** Event key → number of invocations (attempts), live and redelivery. */
    final Map<String, AtomicInteger> invocations = new ConcurrentHashMap<>();
    /** Event key → id of the root unit of work (the processor's batch) of its latest invocation. */
    final Map<String, String> batchOf = new ConcurrentHashMap<>();
    volatile Hook hook = (event, redelivery) -> {
    };

    private final JdbcTemplate jdbc;

    ProjectionHandler(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    @EventHandler
    public void on(ThingHappened event, DeadLetter<?> letter) throws Exception {
        invocations.computeIfAbsent(event.key(), k -> new AtomicInteger()).incrementAndGet();
        CurrentUnitOfWork.ifStarted(uow -> batchOf.put(
                event.key(), uow.root().getOrComputeResource(BATCH_ID, k -> UUID.randomUUID().toString())));
        hook.before(event, letter != null);
        faults.beforeWrite(event);
        jdbc.update("INSERT INTO projection (aggregate_id, seq, redelivered) VALUES (?, ?, ?)",
                    event.aggregateId(), event.seq(), letter != null);
        if (faults.uniqueViolation.contains(event.key())) {
            jdbc.update("INSERT INTO unique_guard (k) VALUES ('taken')");
        }
        faults.afterWrite(event);
    }

    int invocations(String eventKey) {
        AtomicInteger count = invocations.get(eventKey);
        return count == null ? 0 : count.get();
    }
}
