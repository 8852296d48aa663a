package io.axondlq.benchmark;

import jakarta.persistence.EntityManager;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The handler under test: a no-op (pure overhead), a JDBC projection writing one row per event, or a JPA projection
 * persisting one entity per event through a shared EntityManager (what real applications do). Aggregates in
 * {@link #poisoned} fail every time.
 */
@ProcessingGroup(BenchHandler.GROUP)
public class BenchHandler {

    public static final String GROUP = "bench";

    /** What the handler writes per event. */
    enum Projection {
        NOOP("no-op handler"),
        JDBC("JDBC projection"),
        JPA("JPA projection");

        final String label;

        Projection(String label) {
            this.label = label;
        }
    }

    final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    private final Projection projection;
    private final JdbcTemplate jdbc;
    private final EntityManager entityManager;
    /** Set by the poison-stall scenario only: sees every invocation (also the failing ones). */
    volatile BatchProbe probe;

    BenchHandler(Projection projection, DataSource dataSource, EntityManager entityManager) {
        this.projection = projection;
        this.jdbc = projection == Projection.JDBC ? new JdbcTemplate(dataSource) : null;
        this.entityManager = entityManager;
    }

    @EventHandler
    public void on(BenchEvent event) {
        BatchProbe p = probe;
        if (p != null) {
            p.invoked(event);
        }
        if (!poisoned.isEmpty() && poisoned.contains(event.aggregateId())) {
            throw new IllegalStateException("poisoned aggregate " + event.aggregateId());
        }
        switch (projection) {
            case JDBC -> jdbc.update("INSERT INTO bench_projection (aggregate_id, seq) VALUES (?, ?)",
                                     event.aggregateId(), event.sequence());
            case JPA -> entityManager.persist(new BenchEntity(event.aggregateId(), event.sequence()));
            case NOOP -> {
            }
        }
    }
}
