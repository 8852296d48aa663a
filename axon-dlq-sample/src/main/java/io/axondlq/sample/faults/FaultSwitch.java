package io.axondlq.sample.faults;

import io.axondlq.sample.account.AccountEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The faults the projection handlers consult on every event (and every redelivery), switched over HTTP by
 * {@link FaultController}. Held in memory: a restart heals everything.
 * <p>
 * The projections depend on this switch; it is told their processing groups (see {@code SampleApplication}) rather
 * than reading them from the projections, so that the two packages do not depend on each other.
 */
public class FaultSwitch {

    public static final Set<String> EVENT_TYPES = Set.of("AccountOpened", "MoneyDeposited", "MoneyWithdrawn");
    private static final Logger logger = LoggerFactory.getLogger(FaultSwitch.class);

    private final Set<String> processingGroups;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    private final Clock clock;

    /** @param processingGroups the groups a fault may be scoped to */
    public FaultSwitch(Set<String> processingGroups) {
        this(processingGroups, Clock.systemUTC());
    }

    FaultSwitch(Set<String> processingGroups, Clock clock) {
        this.processingGroups = Set.copyOf(processingGroups);
        this.clock = clock;
    }

    /** Validates and adds a fault. */
    public Fault add(FaultRequest request) {
        if (request.eventType() != null && !EVENT_TYPES.contains(request.eventType())) {
            throw new IllegalArgumentException("eventType must be one of " + EVENT_TYPES);
        }
        if (request.processingGroup() != null && !processingGroups.contains(request.processingGroup())) {
            throw new IllegalArgumentException("processingGroup must be one of " + processingGroups);
        }
        FaultMode mode = request.mode() == null ? FaultMode.PERMANENT : request.mode();
        Integer times = null;
        if (mode == FaultMode.TRANSIENT) {
            times = request.times() == null ? 1 : request.times();
            if (times < 1 || times > 1000) {
                throw new IllegalArgumentException("times must be between 1 and 1000");
            }
        } else if (request.times() != null) {
            throw new IllegalArgumentException("times applies to TRANSIENT faults only");
        }
        Fault fault = new Fault("f-" + ids.incrementAndGet(), blankToNull(request.aggregateId()),
                                request.eventType(), request.processingGroup(), mode,
                                request.phase() == null ? FaultPhase.BEFORE_WRITE : request.phase(), times,
                                clock.instant());
        faults.add(fault);
        logger.warn("Fault switched on: {}", fault.view());
        return fault;
    }

    public List<Fault> list() {
        return List.copyOf(faults);
    }

    public Optional<Fault> remove(String id) {
        Optional<Fault> fault = faults.stream().filter(f -> f.id().equals(id)).findFirst();
        fault.ifPresent(f -> {
            faults.remove(f);
            logger.info("Fault {} removed", id);
        });
        return fault;
    }

    /** Removes every fault ("the bug is fixed"); returns how many there were. */
    public int clear() {
        int removed = faults.size();
        faults.clear();
        logger.info("All {} fault(s) removed", removed);
        return removed;
    }

    /** Called by the handlers: throws when a fault matches this invocation. */
    public void check(String processingGroup, AccountEvent event, FaultPhase phase) {
        if (faults.isEmpty()) {
            return;
        }
        String eventType = event.getClass().getSimpleName();
        for (Fault fault : faults) {
            if (fault.matches(processingGroup, event.accountId(), eventType, phase)) {
                fault.strike(processingGroup, event.accountId(), eventType);
            }
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value;
    }
}
