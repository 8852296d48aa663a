package io.axondlq.jdbc.audit;

import io.axondlq.core.audit.AuditFilter;
import io.axondlq.jdbc.SqlDialect;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every SQL statement of the audit log, in portable SQL with named parameters (row-value comparison and
 * {@code LIMIT} work on both PostgreSQL and H2). A dialect overrides only what cannot be portable; today nothing is.
 */
class AuditStatements {

    private static final Pattern PREFIX = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,40}");
    private static final String COLUMNS = "audit_id, occurred_at, actor, action, processing_group, target, "
            + "parameters, outcome, detail";

    final String table;

    AuditStatements(String tablePrefix) {
        if (tablePrefix == null || !PREFIX.matcher(tablePrefix).matches()) {
            throw new IllegalArgumentException("Table prefix must match " + PREFIX + ", was [" + tablePrefix + "]");
        }
        this.table = tablePrefix + "audit";
    }

    /** The statements for the database; the place for a dialect's overrides once one needs them. */
    static AuditStatements of(SqlDialect dialect, String tablePrefix) {
        return switch (dialect) {
            case POSTGRESQL, H2 -> new AuditStatements(tablePrefix);
        };
    }

    String insert() {
        return "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (:id, :at, :actor, :action, :group, :target, "
                + ":parameters, :outcome, :detail)";
    }

    String complete() {
        return "UPDATE " + table + " SET outcome = :outcome, detail = :detail WHERE audit_id = :id";
    }

    /**
     * Oldest first, {@code :limit} rows, after the cursor's {@code (:after_at, :after_id)} when {@code afterCursor}, only the entries the filter selects: each criterion given adds its condition on a bound parameter
     * ({@code :actor, :action, :group, :from, :to}); values never enter the text. The time range and the keyset ride
     * the {@code (occurred_at, audit_id)} index.
     */
    String page(AuditFilter filter, boolean afterCursor) {
        List<String> where = new ArrayList<>();
        if (filter.actor() != null) {
            where.add("actor = :actor");
        }
        if (filter.action() != null) {
            where.add("action = :action");
        }
        if (filter.processingGroup() != null) {
            where.add("processing_group = :group");
        }
        if (filter.from() != null) {
            where.add("occurred_at >= :from");
        }
        if (filter.to() != null) {
            where.add("occurred_at < :to");
        }
        if (afterCursor) {
            where.add("(occurred_at, audit_id) > (:after_at, :after_id)");
        }
        return "SELECT " + COLUMNS + " FROM " + table
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY occurred_at, audit_id LIMIT :limit";
    }
}
