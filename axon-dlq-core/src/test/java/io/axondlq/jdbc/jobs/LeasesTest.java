package io.axondlq.jdbc.jobs;

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

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The one lease primitive of background work ({@link JdbcLeases}) against a real database: one holder at a time,
 * extension by the holder only, release, expiry measured on the database clock, and a lease taken inside a
 * transaction that rolls back is not taken. Subclasses pick the database.
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
        leases = new JdbcLeases(dataSource, PREFIX);
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
}
