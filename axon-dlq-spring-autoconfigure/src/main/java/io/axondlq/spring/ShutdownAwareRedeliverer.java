package io.axondlq.spring;

import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterGroups;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.DeadLetterStore;

import java.time.Duration;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The application's redeliverer: every sequence redelivery, an operator's too, ends between letters once the
 * application is closing ({@link RedeliveryShutdownSignal}), as background work does when its worker stops, and a
 * letter whose handler fails after that (the web server interrupts the request's thread, a bean the handler uses is
 * closed) is kept unchanged rather than charged with an attempt. Before that, within the web server's grace period, a
 * request in flight redelivers as usual.
 */
final class ShutdownAwareRedeliverer extends DeadLetterRedeliverer {

    private final BooleanSupplier closing;

    ShutdownAwareRedeliverer(DeadLetterStore store, DeadLetterGroups groups, Duration lease,
                             DeadLetterObserver observer, BooleanSupplier closing) {
        super(store, groups, lease, observer);
        this.closing = Objects.requireNonNull(closing, "closing");
    }

    /** Every sequence redelivery of the class (the named one, the oldest, all of a group) comes through here. */
    @Override
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder,
                                      int maxLetters, BooleanSupplier stopRequested) {
        Objects.requireNonNull(stopRequested, "stopRequested");
        return super.redeliver(processingGroup, sequenceKey, recorder, maxLetters,
                               () -> stopRequested.getAsBoolean() || closing.getAsBoolean());
    }
}
