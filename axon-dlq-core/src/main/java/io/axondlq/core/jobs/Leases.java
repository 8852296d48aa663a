package io.axondlq.core.jobs;

import java.time.Duration;
import java.util.Optional;

/**
 * The one lease primitive of background work: a named lease held by one owner until it expires, on the database's
 * clock (never a node's own clock, which differs between nodes). Calls join the caller's transaction when there is
 * one, so that taking a lease can commit together with the work it guards; without one each call commits on its own.
 */
public interface Leases {

    /**
     * Takes the lease, or extends it when {@code owner} holds it already.
     *
     * @return whether {@code owner} holds the lease for {@code ttl} from now; false while another owner's lease runs
     */
    boolean acquire(String name, String owner, Duration ttl);

    /**
     * Extends a lease {@code owner} holds and that has not expired.
     *
     * @return false when the lease is not (or no longer) {@code owner}'s
     */
    boolean renew(String name, String owner, Duration ttl);

    /** Gives the lease up at once, if {@code owner} holds it. */
    void release(String name, String owner);

    /** The owner of the unexpired lease, if any. */
    Optional<String> holder(String name);
}
