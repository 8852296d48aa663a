package io.axondlq.spring.health;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.Status;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reports letters and sequences per processing group. A group above the threshold makes the status
 * {@code DEGRADED}: dead letters need an operator, but the application is running, so liveness probes must not
 * restart it (add DEGRADED to {@code management.endpoint.health.status.order} to rank it).
 */
public class DeadLetterHealthIndicator extends AbstractHealthIndicator {

    public static final Status DEGRADED = new Status("DEGRADED", "Dead letters above the threshold");

    private final DeadLetterStore store;
    private final long threshold;

    public DeadLetterHealthIndicator(DeadLetterStore store, long threshold) {
        super("Dead-letter queue check failed");
        this.store = store;
        this.threshold = threshold;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        boolean above = false;
        Map<String, Object> groups = new LinkedHashMap<>();
        for (GroupStatistics s : store.statistics()) {
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("letters", s.letters());
            detail.put("sequences", s.sequences());
            detail.put("oldestEnqueuedAt", s.oldestEnqueuedAt());
            groups.put(s.processingGroup(), detail);
            above |= threshold > 0 && s.letters() > threshold;
        }
        builder.status(above ? DEGRADED : Status.UP).withDetail("threshold", threshold).withDetail("groups", groups);
    }
}
