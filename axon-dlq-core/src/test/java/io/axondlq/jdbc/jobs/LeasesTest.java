package io.axondlq.jdbc.jobs;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The one lease primitive of background work ({@link JdbcLeases}) against a real database: one holder at a time,
 * extension by the holder only, release, expiry measured on the database clock, a lease taken inside a transaction
 * that rolls back is not taken, and every write commits on a pool that does not auto-commit. Subclasses pick the
 * database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class LeasesTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;

    @TestDataSource
    DataSource dataSource;

    private JdbcLeases leases;
    private String name;

    @BeforeEach
    void setUp() {
        SqlDialect dialect = SqlDialect.detect(dataSource);
        SchemaInitializer.initialize(dataSource, dialect, PREFIX);
        SchemaInitializer.initialize(dataSource, dialect, PREFIX, "V2__axon_dlq_operations.sql");
        leases = new JdbcLeases(dataSource, new DataSourceTransactionManager(dataSource), PREFIX);
        name = "test:" + UUID.randomUUID();
    }

    /**
     * The jobs' due times and the leases read one clock, the database's: a lease taken between two readings of the
     * {@link DatabaseClock} starts between them (read back from its end), whatever the JVM's time zone.
     */
    @Test
    void theDatabaseClockIsTheClockLeasesAreMeasuredBy() {
        DatabaseClock clock = new DatabaseClock(dataSource);
        Instant before = clock.instant();
        assertThat(leases.acquire(name, "a", Duration.ofHours(1))).isTrue();
        Instant after = clock.instant();
        Instant leaseStart = new JdbcTemplate(dataSource).queryForObject(
                "SELECT lease_until FROM " + PREFIX + "scheduler_lease WHERE name = ?", OffsetDateTime.class, name)
                                                         .toInstant().minus(Duration.ofHours(1));
        assertThat(leaseStart).isBetween(before, after);
        assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
        assertThat(clock.withZone(ZoneOffset.ofHours(2)).instant()).isAfterOrEqualTo(after);
    }

    /**
     * A lease is written in whole milliseconds: a positive one below 1 ms was a lease of 0 ms, expired as it was
     * taken, so another node took the same work at once. It is refused, as a zero one is, and so are such leases in
     * the jobs' settings.
     */
    @Test
    void aLeaseBelowOneMillisecondIsRefused() {
        Duration belowOneMillisecond = Duration.ofNanos(500_000);
        assertThatThrownBy(() -> leases.acquire(name, "node-a", belowOneMillisecond))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 ms");
        assertThat(leases.holder(name)).isEmpty();
        assertThatThrownBy(() -> leases.renew(name, "node-a", belowOneMillisecond))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 ms");
        assertThatThrownBy(() -> new RetryJobRunner.Settings(belowOneMillisecond, Duration.ofSeconds(1),
                                                             Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
        assertThatThrownBy(() -> new AutoRetryScheduler.Settings(List.of(Duration.ofMinutes(1)), Duration.ofSeconds(1),
                                                                 10, belowOneMillisecond))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lease");
    }

    @Test
    void oneHolderAtATimeUntilItReleases() {
        assertThat(leases.holder(name)).isEmpty();
        assertThat(leases.acquire(name, "a", Duration.ofMinutes(1))).isTrue();
        assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).as("held by a").isFalse();
        assertThat(leases.holder(name)).contains("a");
        assertThat(leases.acquire(name, "a", Duration.ofMinutes(1))).as("a extends its own lease").isTrue();
        assertThat(leases.renew(name, "a", Duration.ofMinutes(1))).isTrue();
        assertThat(leases.renew(name, "b", Duration.ofMinutes(1))).as("only the holder renews").isFalse();

        leases.release(name, "b");
        assertThat(leases.holder(name)).as("only the holder releases").contains("a");
        leases.release(name, "a");
        assertThat(leases.holder(name)).isEmpty();
        assertThat(leases.renew(name, "a", Duration.ofMinutes(1))).as("released: nothing to renew").isFalse();
        assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).isTrue();
        assertThat(leases.holder(name)).contains("b");
    }

    @Test
    void anExpiredLeaseIsTakenOverAndCannotBeRenewedByItsOldHolder() {
        assertThat(leases.acquire(name, "a", Duration.ofMillis(300))).isTrue();
        assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).isFalse();

        await().atMost(Duration.ofSeconds(10)).until(() -> leases.holder(name).isEmpty());
        assertThat(leases.renew(name, "a", Duration.ofMinutes(1))).as("expired").isFalse();
        assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).isTrue();
        assertThat(leases.holder(name)).contains("b");
        assertThat(leases.acquire(name, "a", Duration.ofMinutes(1))).isFalse();
    }

    @Test
    void aLeaseTakenInATransactionThatRollsBackIsNotTaken() {
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
        tx.executeWithoutResult(status -> {
            assertThat(leases.acquire(name, "a", Duration.ofMinutes(1))).isTrue();
            status.setRollbackOnly();
        });
        assertThat(leases.holder(name)).isEmpty();
        assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).isTrue();
    }

    // A pool that does not auto-commit (spring.datasource.hikari.auto-commit=false) rolls back whatever a connection
    // left uncommitted when it is returned: a lease write outside a transaction "succeeds" and is gone. Each test
    // writes on such a pool and reads on the test's own pool, another node's view.

    @Test
    void anAcquireOnAPoolThatDoesNotAutoCommitIsSeenByOtherNodes() throws SQLException {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcLeases onManual = leasesOn(manualCommit);

            assertThat(onManual.acquire(name, "a", Duration.ofMinutes(1))).isTrue();
            assertThat(leases.holder(name)).as("the new lease row is committed").contains("a");
            assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).as("held by a").isFalse();

            // a extends its own lease: the update path, committed as well
            assertThat(onManual.acquire(name, "a", Duration.ofHours(1))).isTrue();
            assertThat(leaseUntil()).as("the extension is committed")
                                    .isAfter(new DatabaseClock(dataSource).instant().plus(Duration.ofMinutes(30)));
        }
    }

    @Test
    void aRenewalOnAPoolThatDoesNotAutoCommitIsSeenByOtherNodes() throws SQLException {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            assertThat(leases.acquire(name, "a", Duration.ofMinutes(1))).isTrue();

            assertThat(leasesOn(manualCommit).renew(name, "a", Duration.ofHours(1))).isTrue();

            assertThat(leaseUntil()).as("the renewal is committed")
                                    .isAfter(new DatabaseClock(dataSource).instant().plus(Duration.ofMinutes(30)));
        }
    }

    @Test
    void aReleaseOnAPoolThatDoesNotAutoCommitIsSeenByOtherNodes() throws SQLException {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            assertThat(leases.acquire(name, "a", Duration.ofMinutes(1))).isTrue();

            leasesOn(manualCommit).release(name, "a");

            assertThat(leases.holder(name)).as("the release is committed").isEmpty();
            assertThat(leases.acquire(name, "b", Duration.ofMinutes(1))).isTrue();
        }
    }

    /** Inside a caller's transaction on such a pool the lease is the caller's: it commits or rolls back with it. */
    @Test
    void onAPoolThatDoesNotAutoCommitALeaseJoinsTheCallersTransaction() throws SQLException {
        try (HikariDataSource manualCommit = manualCommitPool()) {
            JdbcLeases onManual = leasesOn(manualCommit);
            TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(manualCommit));

            tx.executeWithoutResult(status -> {
                assertThat(onManual.acquire(name, "a", Duration.ofMinutes(1))).isTrue();
                status.setRollbackOnly();
            });
            assertThat(leases.holder(name)).as("rolled back with the caller").isEmpty();

            tx.executeWithoutResult(status -> {
                assertThat(onManual.acquire(name, "a", Duration.ofMinutes(1))).isTrue();
                assertThat(leases.holder(name)).as("not before the caller commits").isEmpty();
            });
            assertThat(leases.holder(name)).as("committed with the caller").contains("a");
        }
    }

    private static JdbcLeases leasesOn(HikariDataSource pool) {
        return new JdbcLeases(pool, new DataSourceTransactionManager(pool), PREFIX);
    }

    private Instant leaseUntil() {
        return new JdbcTemplate(dataSource).queryForObject(
                "SELECT lease_until FROM " + PREFIX + "scheduler_lease WHERE name = ?", OffsetDateTime.class, name)
                                           .toInstant();
    }

    /** A second pool on the test's database, with auto-commit off. */
    private HikariDataSource manualCommitPool() throws SQLException {
        HikariConfig config = new HikariConfig();
        dataSource.unwrap(HikariDataSource.class).copyStateTo(config);
        config.setPoolName(config.getPoolName() + "-manual-commit");
        config.setAutoCommit(false);
        config.setMaximumPoolSize(3);
        return new HikariDataSource(config);
    }
}
