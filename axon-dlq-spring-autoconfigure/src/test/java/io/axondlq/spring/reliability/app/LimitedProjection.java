package io.axondlq.spring.reliability.app;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Processing group {@value #GROUP} (on only with {@code reliability.limited-group=true}), given tiny queue limits by
 * the test: every event of an aggregate whose id starts with {@value #POISON_PREFIX} fails until fixed in
 * {@code faults_fixed}; the others write a {@code limited_projection} row.
 */
@ProcessingGroup(LimitedProjection.GROUP)
public class LimitedProjection {

    public static final String GROUP = "limited";
    public static final String POISON_PREFIX = "limited-poison-";

    private final JdbcTemplate jdbc;

    public LimitedProjection(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @EventHandler
    public void on(ItemRecorded event) {
        if (event.aggregateId().startsWith(POISON_PREFIX)) {
            Integer fixed = jdbc.queryForObject("SELECT COUNT(*) FROM faults_fixed WHERE fault_key IN ('*', ?)",
                                                Integer.class, event.aggregateId());
            if (fixed == null || fixed == 0) {
                throw new IllegalStateException("limited group poison " + event.key());
            }
        }
        jdbc.update("INSERT INTO limited_projection (aggregate_id, seq) VALUES (?, ?)", event.aggregateId(),
                    event.seq());
    }
}
