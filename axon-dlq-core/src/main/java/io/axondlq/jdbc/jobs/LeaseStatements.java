package io.axondlq.jdbc.jobs;

import io.axondlq.jdbc.SqlDialect;

/**
 * Every SQL statement of {@link JdbcLeases}, on {@code <prefix>scheduler_lease(name, owner, lease_until)}. Lease
 * times are the database's ({@link #now()}); dialects differ only in that clock, in date arithmetic and in "insert
 * unless present".
 */
abstract class LeaseStatements {

    final String table;

    LeaseStatements(String tablePrefix) {
        this.table = RetryJobRows.validPrefix(tablePrefix) + "scheduler_lease";
    }

    static LeaseStatements of(SqlDialect dialect, String tablePrefix) {
        return switch (dialect) {
            case POSTGRESQL -> new Postgres(tablePrefix);
            case H2 -> new H2(tablePrefix);
        };
    }

    /** The database's current time. */
    abstract String now();

    /** Reads the database's current time (see {@link #now()}). */
    static String currentTime(SqlDialect dialect) {
        return "SELECT " + switch (dialect) {
            case POSTGRESQL -> Postgres.NOW;
            case H2 -> H2.NOW;
        };
    }

    /** {@link #now()} plus {@code :ttl_ms} milliseconds. */
    abstract String leaseEnd();

    /** Creates the lease row held by {@code :owner}, unless a row of that name exists: then 0 rows. */
    abstract String insertIfAbsent();

    /** Takes a free or expired lease, or extends one {@code :owner} holds. */
    String acquire() {
        return "UPDATE " + table + " SET owner = :owner, lease_until = " + leaseEnd() + " WHERE name = :name "
                + "AND (owner = :owner OR owner IS NULL OR lease_until IS NULL OR lease_until < " + now() + ")";
    }

    String renew() {
        return "UPDATE " + table + " SET lease_until = " + leaseEnd() + " WHERE name = :name AND owner = :owner "
                + "AND lease_until >= " + now();
    }

    String release() {
        return "DELETE FROM " + table + " WHERE name = :name AND owner = :owner";
    }

    String holder() {
        return "SELECT owner FROM " + table + " WHERE name = :name AND owner IS NOT NULL AND lease_until >= " + now();
    }

    /** Statement start: a lease taken inside a longer transaction is measured from the moment it was taken. */
    static final class Postgres extends LeaseStatements {
        static final String NOW = "statement_timestamp()";

        Postgres(String tablePrefix) {
            super(tablePrefix);
        }

        @Override
        String now() {
            return NOW;
        }

        @Override
        String leaseEnd() {
            return "(" + now() + " + :ttl_ms * INTERVAL '1 millisecond')";
        }

        /** ON CONFLICT: a racing insert must not abort the caller's transaction. */
        @Override
        String insertIfAbsent() {
            return "INSERT INTO " + table + " (name, owner, lease_until) VALUES (:name, :owner, " + leaseEnd()
                    + ") ON CONFLICT (name) DO NOTHING";
        }
    }

    /** H2 has nothing finer than the transaction's start; its failed statements leave the transaction usable. */
    static final class H2 extends LeaseStatements {
        static final String NOW = "CURRENT_TIMESTAMP";

        H2(String tablePrefix) {
            super(tablePrefix);
        }

        @Override
        String now() {
            return NOW;
        }

        @Override
        String leaseEnd() {
            return "DATEADD(MILLISECOND, :ttl_ms, " + now() + ")";
        }

        @Override
        String insertIfAbsent() {
            return "INSERT INTO " + table + " (name, owner, lease_until) SELECT :name, :owner, " + leaseEnd()
                    + " WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE name = :name)";
        }
    }
}
