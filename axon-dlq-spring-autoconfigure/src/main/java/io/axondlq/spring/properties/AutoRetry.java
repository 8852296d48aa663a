package io.axondlq.spring.properties;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Automatic redelivery of parked sequences on a schedule keyed on how many automatic retries each sequence has
 * had, run for each processing group by one node at a time. Every automatic redelivery is written to the audit log
 * with the actor {@code system} and counted in {@code axon.dlq.redeliveries}.
 */
public class AutoRetry {

    /** Whether parked sequences are redelivered automatically. */
    private boolean enabled = false;

    /**
     * Waits before the automatic retries of a sequence: retry k (counting from 0) is due once the sequence's last
     * touch (when it was parked or last failed, automatically or not) plus the k-th value has passed. A sequence
     * that has had as many automatic retries as there are values waits for an operator. Default 1m, 5m, 30m, 2h,
     * 6h.
     */
    private List<Duration> schedule = new ArrayList<>(List.of(Duration.ofMinutes(1), Duration.ofMinutes(5),
                                                              Duration.ofMinutes(30), Duration.ofHours(2),
                                                              Duration.ofHours(6)));

    /**
     * How often each node looks for due sequences. The node holding a processing group's automatic-retry lease
     * renews it every poll and before every redelivery; the lease lasts three poll intervals (at least
     * axon.dlq.claim.lease), so another node takes over at most that long after the holder died.
     */
    private Duration pollInterval = Duration.ofSeconds(30);

    /** Most sequences of one processing group redelivered per poll; further due sequences wait for the next. */
    private int batchSize = 100;

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public List<Duration> getSchedule() { return schedule; }
    public void setSchedule(List<Duration> schedule) { this.schedule = schedule; }
    public Duration getPollInterval() { return pollInterval; }
    public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    public int getBatchSize() { return batchSize; }
    public void setBatchSize(int batchSize) { this.batchSize = batchSize; }
}
