package io.axondlq.spring.reliability.app;

import org.axonframework.eventhandling.pooled.MaxSegmentProvider;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * How many segments one node may claim when the crash suite splits and merges them: a share of however many
 * segments the processor has now (read from Axon's token table, at most every {@value #REFRESH_MILLIS} ms), so two
 * nodes together always cover every segment and neither takes them all. A fixed cap cannot do both once the count
 * changes at run time.
 */
final class ClaimShare implements MaxSegmentProvider {

    private static final long REFRESH_MILLIS = 500;

    private final JdbcTemplate jdbc;
    private final double share;
    private volatile int max;
    private volatile long readAt;

    ClaimShare(JdbcTemplate jdbc, double share, int initial) {
        this.jdbc = jdbc;
        this.share = share;
        this.max = initial;
    }

    @Override
    public int getMaxSegments(String processorName) {
        long now = System.currentTimeMillis();
        if (now - readAt > REFRESH_MILLIS) {
            readAt = now;
            try {
                Integer segments = jdbc.queryForObject("SELECT COUNT(*) FROM tokenentry WHERE processorname = ?",
                                                       Integer.class, processorName);
                if (segments != null && segments > 0) {
                    max = Math.max(1, (int) Math.ceil(segments * share));
                }
            } catch (RuntimeException e) {
                // keep the last answer: the coordinator asks again on its next run
            }
        }
        return max;
    }
}
