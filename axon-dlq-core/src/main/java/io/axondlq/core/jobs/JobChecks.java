package io.axondlq.core.jobs;

import java.time.Duration;
import java.util.Objects;

/** The argument checks the background jobs share: one wording for one mistake. */
final class JobChecks {

    private JobChecks() {
    }

    static String owner(String owner) {
        if (owner == null || owner.isBlank()) {
            throw new IllegalArgumentException("owner may not be null or blank");
        }
        return owner;
    }

    static Duration positive(Duration value, String name) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    /** A lease: the JDBC leases hold it in whole milliseconds, so at least 1 ms. */
    static Duration lease(Duration value, String name) {
        if (value == null || value.isNegative() || value.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 ms, was " + value);
        }
        return value;
    }

    static Duration notNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
        return value;
    }
}
