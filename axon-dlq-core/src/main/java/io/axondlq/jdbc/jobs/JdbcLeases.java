package io.axondlq.jdbc.jobs;

import io.axondlq.core.jobs.Leases;
import io.axondlq.core.store.StoredText;
import io.axondlq.jdbc.SqlDialect;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * {@link Leases} in {@code <prefix>scheduler_lease}, on the database clock. Each call joins the caller's transaction
 * (through Spring's transaction synchronization) or, without one, commits on its own.
 */
public final class JdbcLeases implements Leases {

    private static final int MAX_OWNER_LENGTH = 255;
    private static final int MAX_NAME_LENGTH = 512;

    private final NamedParameterJdbcTemplate jdbc;
    private final LeaseStatements sql;

    /** The dialect is read from the database's metadata. */
    public JdbcLeases(DataSource dataSource, String tablePrefix) {
        this(dataSource, SqlDialect.detect(Objects.requireNonNull(dataSource, "dataSource")), tablePrefix);
    }

    public JdbcLeases(DataSource dataSource, SqlDialect dialect, String tablePrefix) {
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.sql = LeaseStatements.of(dialect, tablePrefix);
    }

    @Override
    public boolean acquire(String name, String owner, Duration ttl) {
        MapSqlParameterSource params = params(name, owner).addValue("ttl_ms", millis(ttl));
        if (jdbc.update(sql.acquire(), params) > 0) {
            return true;
        }
        try {
            return jdbc.update(sql.insertIfAbsent(), params) > 0; // 0: another owner holds it
        } catch (DuplicateKeyException e) {
            return false; // another node created it first
        }
    }

    @Override
    public boolean renew(String name, String owner, Duration ttl) {
        return jdbc.update(sql.renew(), params(name, owner).addValue("ttl_ms", millis(ttl))) > 0;
    }

    @Override
    public void release(String name, String owner) {
        jdbc.update(sql.release(), params(name, owner));
    }

    @Override
    public Optional<String> holder(String name) {
        return jdbc.queryForList(sql.holder(), params(name, null), String.class).stream().findFirst();
    }

    private static long millis(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("Lease duration must be positive, was " + ttl);
        }
        return ttl.toMillis();
    }

    private static MapSqlParameterSource params(String name, String owner) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("Lease name must be 1 to " + MAX_NAME_LENGTH + " characters");
        }
        return new MapSqlParameterSource("name", name).addValue("owner", StoredText.cut(owner, MAX_OWNER_LENGTH));
    }
}
