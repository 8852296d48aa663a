package io.axondlq.core;

import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.ProcessorThreads;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import javax.sql.DataSource;

import static org.awaitility.Awaitility.await;

/**
 * Invoker tests over one application ({@link InvokerFixture}) on a database shared by the test class and emptied
 * before each test. Subclassed per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class InvokerTestBase {

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    /** A fresh counter per test, over the class's database. */
    @TestDataSource
    CountingDataSource counting;

    InvokerFixture fixture;

    @BeforeEach
    void prepareFixture() {
        // The tables are shared with the previous test: none of its processor threads may still write to them.
        ProcessorThreads.awaitNoneAlive(Duration.ofSeconds(30));
        InvokerFixture.prepareDatabase(database, pool);
        fixture = newFixture();
    }

    /** The application; by default it uses the pool directly (see {@link #countedFixture()}). */
    InvokerFixture newFixture() {
        return new InvokerFixture(database, pool, pool);
    }

    /** An application whose every database access goes through {@link #counting}. */
    final InvokerFixture countedFixture() {
        return new InvokerFixture(database, counting, pool);
    }

    @AfterEach
    void closeFixture() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10));
    }
}
