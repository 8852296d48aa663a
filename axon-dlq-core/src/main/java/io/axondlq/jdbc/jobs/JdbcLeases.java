package io.axondlq.jdbc.jobs;

import io.axondlq.core.jobs.Leases;
import io.axondlq.core.store.StoredText;
import io.axondlq.jdbc.SqlDialect;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * {@link Leases} in {@code <prefix>scheduler_lease}, on the database clock. Each write runs in a transaction of the
 * application's transaction manager with {@code PROPAGATION_REQUIRED}: it joins the caller's transaction (so a lease
 * taken with the work it guards commits or rolls back with it), or commits one of its own. Never "no transaction": on
 * a pool that does not auto-commit ({@code spring.datasource.hikari.auto-commit=false}) the pool would roll the write
 * back when the connection is returned, and every node would believe it holds the lease.
 */
public final class JdbcLeases implements Leases {

    private static final int MAX_OWNER_LENGTH = 255;
    private static final int MAX_NAME_LENGTH = 512;

    private final NamedParameterJdbcTemplate jdbc;
    private final LeaseStatements sql;
    private final TransactionTemplate inTransaction;

    /**
     * The dialect is read from the database's metadata.
     *
     * @param transactions the application's transaction manager for {@code dataSource}
     */
    public JdbcLeases(DataSource dataSource, PlatformTransactionManager transactions, String tablePrefix) {
        this(dataSource, SqlDialect.detect(Objects.requireNonNull(dataSource, "dataSource")), transactions,
             tablePrefix);
    }

    /** @param transactions the application's transaction manager for {@code dataSource} */
    public JdbcLeases(DataSource dataSource, SqlDialect dialect, PlatformTransactionManager transactions,
                      String tablePrefix) {
        this.jdbc = new NamedParameterJdbcTemplate(Objects.requireNonNull(dataSource, "dataSource"));
        this.sql = LeaseStatements.of(Objects.requireNonNull(dialect, "dialect"), tablePrefix);
        // PROPAGATION_REQUIRED (the default): JdbcRetryJobProgress's lease and job row share its transaction.
        this.inTransaction = new TransactionTemplate(Objects.requireNonNull(transactions, "transactions"));
    }

    @Override
    public boolean acquire(String name, String owner, Duration ttl) {
        MapSqlParameterSource params = params(name, owner).addValue("ttl_ms", millis(ttl));
        return Boolean.TRUE.equals(inTransaction.execute(status -> {
            if (jdbc.update(sql.acquire(), params) > 0) {
                return true;
            }
            try {
                return jdbc.update(sql.insertIfAbsent(), params) > 0; // 0: another owner holds it
            } catch (DuplicateKeyException e) {
                return false; // another node created it first
            }
        }));
    }

    @Override
    public boolean renew(String name, String owner, Duration ttl) {
        MapSqlParameterSource params = params(name, owner).addValue("ttl_ms", millis(ttl));
        return Boolean.TRUE.equals(inTransaction.execute(status -> jdbc.update(sql.renew(), params) > 0));
    }

    @Override
    public void release(String name, String owner) {
        MapSqlParameterSource params = params(name, owner);
        inTransaction.executeWithoutResult(status -> jdbc.update(sql.release(), params));
    }

    @Override
    public Optional<String> holder(String name) {
        return jdbc.queryForList(sql.holder(), params(name, null), String.class).stream().findFirst();
    }

    private static long millis(Duration ttl) {
        // Written in whole milliseconds: below 1 ms would be a lease of 0 ms, expired as it is taken.
        if (ttl == null || ttl.isNegative() || ttl.toMillis() < 1) {
            throw new IllegalArgumentException("Lease duration must be at least 1 ms, was " + ttl);
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
