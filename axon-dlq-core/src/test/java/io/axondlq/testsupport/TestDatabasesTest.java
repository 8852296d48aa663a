package io.axondlq.testsupport;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

class TestDatabasesTest {

    private static final TestDatabases databases = new TestDatabases();

    @AfterAll
    static void closeDatabases() {
        databases.close();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void freshDatabasesAreIsolated(TestDatabase kind) {
        FreshDatabase first = databases.create(kind);
        FreshDatabase second = databases.create(kind);
        assertThat(first.name()).isNotEqualTo(second.name());

        new JdbcTemplate(first.dataSource()).execute("CREATE TABLE isolation_probe (id INT PRIMARY KEY)");
        new JdbcTemplate(first.dataSource()).update("INSERT INTO isolation_probe VALUES (1)");

        assertThat(tableCount(first.dataSource(), kind)).isEqualTo(1);
        assertThat(tableCount(second.dataSource(), kind)).isZero();
    }

    @Test
    void postgresIsVersion15() {
        FreshDatabase db = databases.create(TestDatabase.POSTGRES);
        String version = new JdbcTemplate(db.dataSource()).queryForObject("SHOW server_version", String.class);
        assertThat(version).startsWith("15.");
        assertThat(new JdbcTemplate(db.dataSource()).queryForObject("SHOW fsync", String.class)).isEqualTo("off");
        assertThat(new JdbcTemplate(db.dataSource()).queryForObject("SHOW max_connections", String.class))
                .isEqualTo("300");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void closeShutsPoolDownAndDropsDatabase(TestDatabase kind) {
        FreshDatabase db = TestDatabases.fresh(kind);
        new JdbcTemplate(db.dataSource()).queryForObject("SELECT 1", Integer.class);
        db.close();
        assertThat(db.dataSource().isClosed()).isTrue();
        if (kind == TestDatabase.POSTGRES) {
            assertThat(new JdbcTemplate(PostgresServer.superuserDataSource()).queryForObject(
                    "SELECT COUNT(*) FROM pg_database WHERE datname = ?", Integer.class, db.name())).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void countsStatementsAndBatches(TestDatabase kind) {
        CountingDataSource counting = new CountingDataSource(databases.createDataSource(kind));
        JdbcTemplate jdbc = new JdbcTemplate(counting);
        jdbc.execute("CREATE TABLE counted (id INT PRIMARY KEY, name VARCHAR(20))");
        counting.reset();

        jdbc.update("INSERT INTO counted VALUES (?, ?)", 1, "a");
        jdbc.update("INSERT INTO counted VALUES (?, ?)", 2, "b");
        jdbc.update("UPDATE counted SET name = ? WHERE id = ?", "c", 1);

        assertThat(counting.count()).isEqualTo(3);
        assertThat(counting.countMatching("^insert")).isEqualTo(2);
        assertThat(counting.statements()).containsExactly("INSERT INTO counted VALUES (?, ?)",
                                                          "INSERT INTO counted VALUES (?, ?)",
                                                          "UPDATE counted SET name = ? WHERE id = ?");
        assertThat(counting.batchCount()).isZero();

        counting.reset();
        List<Object[]> rows = List.of(new Object[]{10, "x"}, new Object[]{11, "x"}, new Object[]{12, "x"},
                                      new Object[]{13, "x"}, new Object[]{14, "x"});
        jdbc.batchUpdate("INSERT INTO counted VALUES (?, ?)", rows);

        assertThat(counting.count()).isEqualTo(1);
        assertThat(counting.batchCount()).isEqualTo(1);
        assertThat(counting.batchedEntries()).isEqualTo(5);
        assertThat(counting.executions())
                .containsExactly(new CountingDataSource.Execution("INSERT INTO counted VALUES (?, ?)", true, 5));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM counted", Integer.class)).isEqualTo(7);
    }

    @Test
    void countingDataSourceWorksInsideSpringTransactions() throws Exception {
        CountingDataSource counting = new CountingDataSource(databases.createDataSource(TestDatabase.H2));
        JdbcTemplate jdbc = new JdbcTemplate(counting);
        jdbc.execute("CREATE TABLE tx_probe (id INT PRIMARY KEY)");
        TransactionTemplate tx = new TransactionTemplate(new DataSourceTransactionManager(counting));
        counting.reset();

        // DataSourceUtils must recognise the bound (proxied) connection so both updates share one transaction.
        tx.executeWithoutResult(status -> {
            jdbc.update("INSERT INTO tx_probe VALUES (1)");
            jdbc.update("INSERT INTO tx_probe VALUES (2)");
            status.setRollbackOnly();
        });

        assertThat(counting.count()).isEqualTo(2);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM tx_probe", Integer.class)).isZero();
        assertThat(counting.isWrapperFor(HikariDataSource.class)).isTrue();
    }

    private static int tableCount(DataSource dataSource, TestDatabase kind) {
        String schema = kind == TestDatabase.POSTGRES ? "public" : "PUBLIC";
        return new JdbcTemplate(dataSource).queryForObject(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = ? AND LOWER(table_name) = ?",
                Integer.class, schema, "isolation_probe");
    }

    /** The annotation-driven pattern used by per-database contract test subclasses. */
    @Nested
    @UsesDatabase(TestDatabase.POSTGRES)
    @ExtendWith(PerClassDatabaseExtension.class)
    class AnnotatedClass {

        static final AtomicReference<DataSource> seen = new AtomicReference<>();

        @TestDataSource
        DataSource dataSource;

        @TestDataSource
        TestDatabase kind;

        @TestDataSource
        CountingDataSource counting;

        @Test
        void injectsOneDataSourcePerClass() {
            assertSamePerClass();
        }

        @Test
        void injectsOneDataSourcePerClassAgain() {
            assertSamePerClass();
        }

        private void assertSamePerClass() {
            assertThat(kind).isEqualTo(TestDatabase.POSTGRES);
            assertThat(dataSource).isNotNull();
            seen.compareAndSet(null, dataSource);
            assertThat(dataSource).isSameAs(seen.get());
            assertThat(counting.delegate()).isSameAs(dataSource);
            new JdbcTemplate(counting).queryForObject("SELECT 1", Integer.class);
            assertThat(counting.count()).isEqualTo(1);
        }
    }

    /** The base-class pattern: kind chosen by overriding {@code database()}. */
    @Nested
    class BaseClass extends DatabaseTestBase {

        @Override
        protected TestDatabase database() {
            return TestDatabase.H2;
        }

        @Test
        void injectsInheritedFields() {
            assertThat(testDatabase).isEqualTo(TestDatabase.H2);
            assertThat(new JdbcTemplate(dataSource).queryForObject("SELECT DATABASE()", String.class))
                    .startsWithIgnoringCase("test_");
        }
    }
}
