package io.axondlq.spring.jobs;

import io.axondlq.core.audit.AuditLog;

/**
 * Kept for applications that name this type.
 *
 * @deprecated moved to core, for applications without Spring Boot: use
 * {@link io.axondlq.core.jobs.AuditLogRetryJobAudit}
 */
@Deprecated
public class AuditLogRetryJobAudit extends io.axondlq.core.jobs.AuditLogRetryJobAudit {

    public AuditLogRetryJobAudit(AuditLog log) {
        super(log);
    }
}
