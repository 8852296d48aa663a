package io.axondlq.spring.audit;

import io.axondlq.core.store.Page;

/** Durable record of every operator action, erasures and exports included. */
public interface AuditLog {

    AuditEntry record(String actor, String action, String processingGroup, String target, String parameters,
                      String outcome, String detail);

    /** Oldest first, keyset paged. */
    Page<AuditEntry> list(int limit, String cursor);
}
