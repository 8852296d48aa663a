package io.axondlq.core.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A redelivery lease on one sequence. Held by exactly one owner until released or expired.
 *
 * @param owner unique per claim attempt ({@code node/uuid}), so two threads of one node never share a lease
 * @param until end of the lease as granted, by the database's clock
 */
public record SequenceClaim(String processingGroup, String sequenceKey, String owner, Instant until) {

    public SequenceClaim {
        Objects.requireNonNull(processingGroup, "processingGroup");
        Objects.requireNonNull(sequenceKey, "sequenceKey");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(until, "until");
    }

    /** The node part of the owner, for messages like "claimed by node-2". */
    public String node() {
        int slash = owner.lastIndexOf('/');
        return slash < 0 ? owner : owner.substring(0, slash);
    }
}
