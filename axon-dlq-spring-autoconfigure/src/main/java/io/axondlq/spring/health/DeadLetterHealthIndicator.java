package io.axondlq.spring.health;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@value #NAME} health indicator: letters, sequences and the oldest letter per processing group, read with one
 * statistics query. It reports UP even when there are dead letters: they need an operator, but the application is
 * running, and a liveness probe must not restart it over its dead-letter queue. With a threshold (letters per group,
 * 0 = off), a group above it turns the status into the configured threshold status (DEGRADED by default, which Spring
 * Boot leaves out of the overall status unless it is listed in {@code management.endpoint.health.status.order}).
 * A failing query reports DOWN with the error.
 */
public class DeadLetterHealthIndicator extends AbstractHealthIndicator {

    /** The health contributor's name. */
    public static final String NAME = "deadLetters";
    /** The default threshold status. */
    public static final Status DEGRADED = new Status("DEGRADED", "Dead letters above the threshold");

    private final DeadLetterStore store;
    private final long threshold;
    private final Status thresholdStatus;

    /** With the threshold status {@link #DEGRADED}. */
    public DeadLetterHealthIndicator(DeadLetterStore store, long threshold) {
        this(store, threshold, DEGRADED);
    }

    /**
     * @param threshold       letters in one group above which {@code thresholdStatus} is reported; 0 turns it off
     * @param thresholdStatus status reported above the threshold
     */
    public DeadLetterHealthIndicator(DeadLetterStore store, long threshold, Status thresholdStatus) {
        super("Dead-letter queue check failed");
        if (threshold < 0) {
            throw new IllegalArgumentException("threshold must be 0 (off) or more, was " + threshold);
        }
        this.store = Objects.requireNonNull(store, "store");
        this.threshold = threshold;
        this.thresholdStatus = Objects.requireNonNull(thresholdStatus, "thresholdStatus");
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Map<String, Object> groups = new LinkedHashMap<>();
        List<String> above = new ArrayList<>();
        long letters = 0;
        for (GroupStatistics s : store.statistics()) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("letters", s.letters());
            detail.put("sequences", s.sequences());
            detail.put("oldestEnqueuedAt", s.oldestEnqueuedAt());
            // A full queue stalls its segment: say so, an operator must redeliver or evict.
            detail.put("full", s.isFull(store.limits(s.processingGroup())));
            groups.put(s.processingGroup(), detail);
            letters += s.letters();
            if (threshold > 0 && s.letters() > threshold) {
                above.add(s.processingGroup());
            }
        }
        builder.status(above.isEmpty() ? Status.UP : thresholdStatus)
               .withDetail("letters", letters)
               .withDetail("threshold", threshold);
        if (!above.isEmpty()) {
            builder.withDetail("aboveThreshold", above);
        }
        builder.withDetail("groups", groups);
    }
}
