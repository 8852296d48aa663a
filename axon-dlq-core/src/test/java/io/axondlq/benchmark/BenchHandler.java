package io.axondlq.benchmark;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * The handler under test: a no-op (pure overhead) or a JDBC projection writing one row per event (what real
 * applications do). Aggregates in {@link #poisoned} fail every time.
 */
@ProcessingGroup(BenchHandler.GROUP)
public class BenchHandler {

    public static final String GROUP = "bench";

    final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    private final JdbcTemplate jdbc;

    BenchHandler(DataSource dataSource, boolean writeRows) {
        this.jdbc = writeRows ? new JdbcTemplate(dataSource) : null;
    }

    @EventHandler
    public void on(BenchEvent event) {
        if (!poisoned.isEmpty() && poisoned.contains(event.aggregateId())) {
            throw new IllegalStateException("poisoned aggregate " + event.aggregateId());
        }
        if (jdbc != null) {
            jdbc.update("INSERT INTO bench_projection (aggregate_id, seq) VALUES (?, ?)", event.aggregateId(),
                        event.sequence());
        }
    }
}
