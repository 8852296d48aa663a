package io.axondlq.spring.properties;

import java.time.Duration;

/** Redelivery leases. */
public class Claim {

    /**
     * How long a redelivery holds its sequence before another node may take over, by the database's clock;
     * renewed by every letter's transaction. Make it longer than the slowest letter, whose work is otherwise
     * rolled back and redone by the node that took over.
     */
    private Duration lease = Duration.ofSeconds(30);

    public Duration getLease() { return lease; }
    public void setLease(Duration lease) { this.lease = lease; }
}
