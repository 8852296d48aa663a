package io.axondlq.spring.jobs;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

import static io.axondlq.spring.jobs.RetryJobTables.time;

/**
 * Named leases in {@code <prefix>scheduler_lease(name, owner, lease_until)}: whoever holds an unexpired lease of a name
 * is the one node doing that work. Each statement commits on its own (no surrounding transaction), so a lease is
 * visible to every node at once. Lease times come from the caller's clock.
 */
public final class SchedulerLease {

    private static final int MAX_OWNER_LENGTH = 255;
    private static final int MAX_NAME_LENGTH = 512;

    /** The current holder of a lease. */
    public record Holder(String owner, Instant until) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final String table;

    public SchedulerLease(DataSource dataSource, String tablePrefix) {
        new RetryJobTables(tablePrefix); // validates the prefix before it reaches any SQL
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.table = tablePrefix + "scheduler_lease";
    }

    /**
     * Takes the lease, or extends it when {@code owner} holds it already.
     *
     * @return whether {@code owner} holds the lease until {@code until} now; false while another owner's lease runs
     */
    public boolean acquire(String name, String owner, Instant now, Instant until) {
        MapSqlParameterSource params = params(name, owner).addValue("now", time(now)).addValue("until", time(until));
        int updated = jdbc.update("UPDATE " + table + " SET owner = :owner, lease_until = :until WHERE name = :name "
                                          + "AND (owner = :owner OR owner IS NULL OR lease_until IS NULL "
                                          + "OR lease_until < :now)", params);
        if (updated > 0) {
            return true;
        }
        Integer rows = jdbc.queryForObject("SELECT COUNT(*) FROM " + table + " WHERE name = :name", params,
                                           Integer.class);
        if (rows != null && rows > 0) {
            return false; // held by another owner
        }
        try {
            jdbc.update("INSERT INTO " + table + " (name, owner, lease_until) VALUES (:name, :owner, :until)",
                        params);
            return true;
        } catch (DuplicateKeyException e) {
            return false; // another node created it first
        }
    }

    /** Gives the lease up at once, if {@code owner} holds it. */
    public void release(String name, String owner) {
        jdbc.update("UPDATE " + table + " SET owner = NULL, lease_until = NULL WHERE name = :name AND owner = :owner",
                    params(name, owner));
    }

    /** The holder of an unexpired lease, if any. */
    public Optional<Holder> holder(String name, Instant now) {
        return jdbc.query("SELECT owner, lease_until FROM " + table + " WHERE name = :name AND owner IS NOT NULL "
                                  + "AND lease_until >= :now",
                          params(name, null).addValue("now", time(now)),
                          (rs, i) -> new Holder(rs.getString("owner"), RetryJobTables.instant(rs, "lease_until")))
                   .stream().findFirst();
    }

    private static MapSqlParameterSource params(String name, String owner) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("Lease name must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        return new MapSqlParameterSource("name", name).addValue("owner", RetryJobTables.truncate(owner,
                                                                                                  MAX_OWNER_LENGTH));
    }
}
