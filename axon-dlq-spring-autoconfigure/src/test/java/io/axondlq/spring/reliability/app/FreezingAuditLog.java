package io.axondlq.spring.reliability.app;

import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.store.Page;

import java.util.UUID;

/**
 * The real audit log; after writing an entry of the frozen action it holds the thread ({@link ActionFreezer}), so the
 * change and its entry are written and not yet committed when the node is killed.
 */
public final class FreezingAuditLog implements AuditLog {

    private final AuditLog delegate;
    private final ActionFreezer freezer;

    public FreezingAuditLog(AuditLog delegate, ActionFreezer freezer) {
        this.delegate = delegate;
        this.freezer = freezer;
    }

    @Override
    public AuditEntry record(String actor, String action, String processingGroup, String target, String parameters,
                             String outcome, String detail) {
        AuditEntry entry = delegate.record(actor, action, processingGroup, target, parameters, outcome, detail);
        freezer.reached(action);
        return entry;
    }

    @Override
    public boolean complete(UUID entryId, String outcome, String detail) {
        return delegate.complete(entryId, outcome, detail);
    }

    @Override
    public Page<AuditEntry> list(AuditFilter filter, int limit, String cursor) {
        return delegate.list(filter, limit, cursor);
    }
}
