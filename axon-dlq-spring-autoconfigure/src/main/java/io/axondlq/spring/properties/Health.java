package io.axondlq.spring.properties;

import java.time.Duration;

/**
 * The {@code deadLetters} health indicator (Spring Boot Actuator): letters, sequences and the oldest letter per
 * processing group. It reports UP even when there are dead letters (a liveness probe must not restart an
 * application over its dead-letter queue) unless a threshold is set.
 */
public class Health {

    /**
     * Letters in one processing group above which the indicator reports threshold-status instead of UP;
     * 0 turns the threshold off.
     */
    private long threshold = 0;

    /**
     * Status reported when a processing group is above the threshold. A status missing from
     * management.endpoint.health.status.order (such as the default, DEGRADED) leaves the overall health
     * as it is; add it there, or use e.g. OUT_OF_SERVICE, to let it count.
     */
    private String thresholdStatus = "DEGRADED";

    /**
     * How long the indicator waits for its statistics before it reports DOWN (no free connection in the pool, a lock
     * held on the dead-letter tables, an unresponsive database), so that the health endpoint answers within a probe's
     * patience. Any positive duration, not rounded; the database's own query timeout is it rounded up to whole
     * seconds.
     */
    private Duration timeout = Duration.ofSeconds(5);

    public long getThreshold() { return threshold; }
    public void setThreshold(long threshold) { this.threshold = threshold; }
    public String getThresholdStatus() { return thresholdStatus; }
    public void setThresholdStatus(String thresholdStatus) { this.thresholdStatus = thresholdStatus; }
    public Duration getTimeout() { return timeout; }
    public void setTimeout(Duration timeout) { this.timeout = timeout; }
}
