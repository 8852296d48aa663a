package io.axondlq.core;

import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.ProcessorThreads;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.StoredLetter;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
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

    /**
     * After three rounds of A, B and C with A's first event writing and then failing for good: B and C handled, A's
     * first event dead-lettered after its three attempts with nothing of it written, its followers parked behind it.
     *
     * @return A's letters, oldest first
     */
    static List<StoredLetter> awaitPoisonedAWhileBAndCFlow(InvokerFixture f, Duration within) {
        eventually().atMost(within).untilAsserted(() -> {
            assertThat(f.projected("B")).containsExactly(0L, 1L, 2L);
            assertThat(f.projected("C")).containsExactly(0L, 1L, 2L);
            assertThat(f.sequenceSize("A")).isEqualTo(3);
        });
        eventually().until(f::tokensAtHead);
        assertThat(f.projected("A")).as("no partial writes").isEmpty();
        List<StoredLetter> letters = f.letters("A");
        assertThat(letters).extracting(StoredLetter::attempts).containsExactly(3, 0, 0);
        assertThat(letters).extracting(StoredLetter::parked).containsExactly(false, true, true);
        assertThat(f.store.attempts(letters.get(0).id())).extracting(AttemptRecord::attempt)
                                                          .containsExactly(1, 2, 3);
        return letters;
    }
}
