package io.axondlq.core.reliability;

import io.axondlq.core.ThingHappened;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/** One {@code projection} row per handled event, in the processor's transaction; poisoned aggregates always fail. */
@ProcessingGroup(QueueFullFixture.GROUP)
public class QueueFullProjection {

    final Set<String> poisoned = ConcurrentHashMap.newKeySet();
    private final JdbcTemplate jdbc;

    QueueFullProjection(DataSource dataSource) {
        this.jdbc = new JdbcTemplate(dataSource);
    }

    @EventHandler
    public void on(ThingHappened event) {
        if (poisoned.contains(event.aggregateId())) {
            throw new IllegalStateException("poisoned " + event.key());
        }
        jdbc.update("INSERT INTO projection (aggregate_id, seq, redelivered) VALUES (?, ?, ?)", event.aggregateId(),
                    event.seq(), false);
    }
}
