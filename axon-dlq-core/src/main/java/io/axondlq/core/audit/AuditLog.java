package io.axondlq.core.audit;

import io.axondlq.core.store.Page;

import java.util.UUID;

/**
 * Durable record of every operator action, erasures and exports included. Entries are written in the caller's
 * transaction when there is one, so that a change and its entry commit together or not at all.
 */
public interface AuditLog {

    AuditEntry record(String actor, String action, String processingGroup, String target, String parameters,
                      String outcome, String detail);

    /**
     * Sets the outcome and detail of an entry written before the action ended (an export records who exports what
     * before the first letter leaves, and how it ended once it has).
     *
     * @return false when there is no such entry, or when this log cannot change an entry (the default: the entry then
     * keeps the outcome it was recorded with)
     */
    default boolean complete(UUID entryId, String outcome, String detail) {
        return false;
    }

    /** Oldest first, keyset paged. */
    default Page<AuditEntry> list(int limit, String cursor) {
        return list(AuditFilter.none(), limit, cursor);
    }

    /**
     * The entries the filter selects, oldest first, keyset paged; a cursor continues the query it came from, so pass
     * the same filter with it.
     * <p>
     * Following {@code nextCursor} is not a gap-free tail while entries are written: an entry becomes visible when
     * the change it records commits, which can be after a reader has paged past its time (a long erasure, a
     * redelivered letter's unit of work). A forwarder that must see every entry re-reads an overlap window, a
     * {@code from} some time before the newest entry it has (longer than its longest transaction), and drops the ids
     * it has already seen.
     */
    Page<AuditEntry> list(AuditFilter filter, int limit, String cursor);
}
