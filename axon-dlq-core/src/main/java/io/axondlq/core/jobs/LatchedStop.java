package io.axondlq.core.jobs;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * The stop check a background redelivery is given: true from the first time it sees the worker stopping. Latched, so
 * that a restart during a stop that timed out does not turn this stop into a letter limit; {@link #seen()} then tells
 * the caller that a {@code LIMIT_REACHED} it got was this stop. One per redelivery, asked on the redelivering thread.
 */
final class LatchedStop implements BooleanSupplier {

    private final BooleanSupplier stopping;
    private boolean seen;

    LatchedStop(BooleanSupplier stopping) {
        this.stopping = Objects.requireNonNull(stopping, "stopping");
    }

    @Override
    public boolean getAsBoolean() {
        return seen || (seen = stopping.getAsBoolean());
    }

    /** Whether the redelivery was told to stop. */
    boolean seen() {
        return seen;
    }
}
