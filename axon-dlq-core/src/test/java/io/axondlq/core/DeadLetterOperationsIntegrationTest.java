package io.axondlq.core;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.operations.Export;
import io.axondlq.core.operations.InvalidProcessingGroupException;
import io.axondlq.core.operations.LetterSink;
import io.axondlq.core.operations.UnknownSequenceException;
import io.axondlq.core.redelivery.RedeliveryInTransactionException;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.sql.DataSource;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * The operations service over a running Axon application and a real database: every action through the Java API
 * reaches the audit log and the observer (metrics), the audit entry commits in the change's transaction (an audit
 * insert the database refuses rolls the change back), and a redelivery audits each letter's outcome in the
 * transaction that records it. Written once, subclassed per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class DeadLetterOperationsIntegrationTest {

    private static final String OPERATOR = "ops@example.com";
    private static final String REFUSE = "ALTER TABLE axon_dlq_audit ADD CONSTRAINT axon_dlq_audit_refuses "
            + "CHECK (action <> '%s')";

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    private InvokerFixture app;
    private JdbcTemplate jdbc;
    private final List<String> evictions = new CopyOnWriteArrayList<>();
    private final List<String> redeliveries = new CopyOnWriteArrayList<>();
    private final List<String> redeliveryFailures = new CopyOnWriteArrayList<>();
    private DeadLetterOperations operations;
    private JdbcAuditLog auditLog;
    /** A pool that does not auto-commit, for the one test that runs the application on it; closed after it. */
    private HikariDataSource manualCommit;

    @BeforeEach
    void start() {
        InvokerFixture.prepareDatabase(database, pool);
        SchemaInitializer.initialize(pool, SqlDialect.detect(pool), SchemaInitializer.DEFAULT_TABLE_PREFIX,
                                     SchemaInitializer.OPERATIONS_SCRIPT);
        jdbc = new JdbcTemplate(pool);
        jdbc.execute("ALTER TABLE axon_dlq_audit DROP CONSTRAINT IF EXISTS axon_dlq_audit_refuses");
        jdbc.execute("DELETE FROM axon_dlq_audit");
        app = new InvokerFixture(database, pool, pool);
        DeadLetterObserver observer = new DeadLetterObserver() {
            @Override
            public void evicted(String processingGroup, int letters, String reason) {
                evictions.add(processingGroup + ":" + letters + ":" + reason);
            }

            @Override
            public void redelivered(String processingGroup, org.axonframework.eventhandling.EventMessage<?> event) {
                redeliveries.add(processingGroup);
            }

            @Override
            public void redeliveryFailed(String processingGroup,
                                         org.axonframework.eventhandling.EventMessage<?> event, Throwable cause) {
                redeliveryFailures.add(processingGroup);
            }
        };
        app.start(Options.of(ProcessorType.POOLED).observer(observer));
        auditLog = new JdbcAuditLog(pool, SchemaInitializer.DEFAULT_TABLE_PREFIX);
        // The application's transaction manager: the one the store and the redelivery's unit of work use.
        operations = new DeadLetterOperations(app.appStore, auditLog, app.springTransactions, observer,
                                              app::redeliverer);
    }

    @AfterEach
    void stop() {
        jdbc.execute("ALTER TABLE axon_dlq_audit DROP CONSTRAINT IF EXISTS axon_dlq_audit_refuses");
        app.close();
        if (manualCommit != null) {
            manualCommit.close();
        }
    }

    private List<AuditEntry> audit(String action) {
        List<AuditEntry> all = new ArrayList<>();
        String cursor = null;
        do {
            var page = auditLog.list(100, cursor);
            all.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor != null);
        return all.stream().filter(e -> e.action().equals(action)).toList();
    }

    @Test
    void evictionsThroughTheJavaApiReachTheObserverAndTheAuditLog() {
        app.park(3, "A", "B", "C");
        StoredLetter a1 = app.letters("A").get(1);

        DeadLetterOperations.LetterEviction letter = operations.evictLetter(OPERATOR, a1.id());
        DeadLetterOperations.SequenceEviction sequence = operations.evictSequence(OPERATOR, GROUP, app.key("B"));

        assertThat(letter.removed()).isEqualTo(1);
        assertThat(sequence.removed()).isEqualTo(3);
        assertThat(evictions).containsExactly(GROUP + ":1:operator", GROUP + ":3:operator");
        assertThat(audit("evict-letter")).singleElement().satisfies(e -> {
            assertThat(e.actor()).isEqualTo(OPERATOR);
            assertThat(e.target()).isEqualTo(a1.id().toString());
            assertThat(e.processingGroup()).isEqualTo(GROUP);
            assertThat(e.outcome()).isEqualTo("success");
        });
        assertThat(audit("evict-sequence")).singleElement().satisfies(e -> {
            assertThat(e.target()).isEqualTo(app.key("B"));
            assertThat(e.detail()).isEqualTo("removed 3 letters");
            assertThat(e.parameters()).contains("\"sequenceKey\":\"" + app.key("B") + "\"");
        });

        int erased = operations.eraseGroup(null, GROUP);
        assertThat(erased).isEqualTo(2 + 3);
        assertThat(evictions).endsWith(GROUP + ":5:operator");
        assertThat(audit("erase-group")).singleElement().satisfies(e -> {
            assertThat(e.actor()).isEqualTo("anonymous");
            assertThat(e.detail()).isEqualTo("removed 5 letters");
        });
        assertThat(app.appStore.size(GROUP)).isZero();
    }

    /**
     * An operator evicts the head letter while its redelivery is running, and the redelivery's handler fails: the
     * failure is rolled back with the handler's transaction and there is no letter left to keep (attempts + 1), so
     * nothing failed to be stored back. The letter is counted once, as evicted by the operator (its audit entry says
     * so), never as a failed redelivery; the redelivery goes on with the next letter, as it does when the evicted
     * letter's handler succeeds.
     */
    @Test
    void aLetterEvictedWhileItsRedeliveryFailsIsCountedAsEvictedNotAsAFailedRedelivery() throws Exception {
        app.park(2, "A");
        StoredLetter a0 = app.letters("A").get(0);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch evicted = new CountDownLatch(1);
        app.handler.hook = (event, redelivery) -> {
            if (redelivery && event.key().equals("A#0")) {
                entered.countDown();
                assertThat(evicted.await(30, TimeUnit.SECONDS)).isTrue();
                throw new IllegalStateException("A#0 still fails");
            }
        };
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            Future<RedeliveryResult> redelivery =
                    thread.submit(() -> operations.redeliverSequence(OPERATOR, GROUP, app.key("A")));
            assertThat(entered.await(30, TimeUnit.SECONDS)).as("A#0's redelivery is running").isTrue();
            assertThat(operations.evictLetter(OPERATOR, a0.id()).removed()).isEqualTo(1);
            evicted.countDown();
            RedeliveryResult result = redelivery.get(60, TimeUnit.SECONDS);

            assertThat(redeliveryFailures).as("failed redeliveries (axon.dlq.redeliveries outcome=failure)").isEmpty();
            assertThat(evictions).containsExactly(GROUP + ":1:operator");
            assertThat(audit("redeliver-letter")).as("per-letter entries: A#1's success only")
                                                 .singleElement()
                                                 .satisfies(e -> assertThat(e.outcome()).isEqualTo("success"));
            assertThat(result.outcome()).as("%s", result).isEqualTo(RedeliveryResult.Outcome.DRAINED);
            assertThat(result.redelivered()).isEqualTo(1);
            assertThat(redeliveries).containsExactly(GROUP);
            assertThat(app.projected("A")).containsExactly(1L);
            assertThat(app.appStore.size(GROUP)).isZero();
        } finally {
            evicted.countDown();
            thread.shutdownNow();
        }
    }

    /**
     * The Java API in a caller's transaction (which evictions join; only redeliveries refuse one): the README promises
     * that evictions are reported to the observers "once committed", so a caller that rolls back must leave the
     * {@code axon.dlq.evicted} counter where it was, as it leaves the letters.
     */
    @Test
    void anEvictionRolledBackWithTheCallersTransactionIsNotCounted() {
        app.park(3, "A", "B");
        StoredLetter a1 = app.letters("A").get(1);

        new TransactionTemplate(app.springTransactions).executeWithoutResult(status -> {
            operations.evictLetter(OPERATOR, a1.id());
            operations.evictSequence(OPERATOR, GROUP, app.key("B"));
            status.setRollbackOnly();
        });

        assertThat(app.appStore.letter(a1.id())).as("the caller rolled the eviction back").isPresent();
        assertThat(app.sequenceSize("B")).isEqualTo(3);
        assertThat(evictions).as("evictions reported to the observer (axon.dlq.evicted)").isEmpty();
    }

    /**
     * Erasing a group the service cannot know (no name, or one that neither runs here nor has letters) is a typed
     * refusal that changes nothing and writes no audit entry; a group with letters that no longer runs here can be
     * erased, and so can a running group without letters (the REST API knows running groups too).
     */
    @Test
    void erasingAGroupThatIsMissingBlankOrUnknownIsRefusedWithoutAnAuditEntry() {
        app.park(2, "A");
        String retired = "retired-group";
        app.appStore.enqueue(retired, LetterDraft.failed("r-1", GenericEventMessage.asEventMessage(
                new ThingHappened("r-1", 0)), new IllegalStateException("old failure"), List.of()));

        assertThatThrownBy(() -> operations.eraseGroup(OPERATOR, "no-such-group"))
                .isInstanceOf(UnknownProcessingGroupException.class);
        for (String name : Arrays.asList(null, "", "  ")) {
            assertThatThrownBy(() -> operations.eraseGroup(OPERATOR, name)).as("[%s]", name)
                    .isInstanceOf(InvalidProcessingGroupException.class)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(app.letters("A")).hasSize(2);
        assertThat(app.appStore.size(retired)).isEqualTo(1);
        assertThat(auditRows()).as("refusals are not recorded").isZero();
        assertThat(evictions).isEmpty();

        assertThat(operations.eraseGroup(OPERATOR, retired)).as("not running, has letters").isEqualTo(1);
        assertThat(operations.eraseGroup(OPERATOR, GROUP)).isEqualTo(2);
        assertThat(operations.eraseGroup(OPERATOR, GROUP)).as("running, no letters").isZero();
        assertThat(audit("erase-group")).extracting(AuditEntry::processingGroup, AuditEntry::detail)
                                        .containsExactly(tuple(retired, "removed 1 letter"),
                                                         tuple(GROUP, "removed 2 letters"),
                                                         tuple(GROUP, "removed 0 letters"));
        assertThatThrownBy(() -> operations.eraseGroup(OPERATOR, retired))
                .as("neither running nor holding letters any more")
                .isInstanceOf(UnknownProcessingGroupException.class);
        assertThat(auditRows()).isEqualTo(3);
    }

    /**
     * A group or key that no stored one can equal is refused, typed, before any SQL, at every entry point that takes
     * one: U+0000 (PostgreSQL's text cannot hold it: a database error), more than the column holds, and for keys a
     * lone surrogate (no stored key has one; PostgreSQL's driver would send it as "?", the key of another sequence).
     * Nothing changes and nothing is audited.
     */
    @Test
    void aGroupOrKeyNoStoredOneCanEqualIsATypedRefusalBeforeAnySql() {
        app.park(1, "A", "x?");
        String key = app.key("A");
        Map<String, String> keys = Map.of("key with NUL", "a\u0000b", "key with a lone surrogate", "x\uD800",
                                          "key of 1025 chars", "k".repeat(1025),
                                          "key of 1026 UTF-8 bytes", "\u00e9".repeat(513));
        Map<String, String> groups = Map.of("group with NUL", "g\u0000", "running group + NUL", GROUP + "\u0000",
                                            "group of 256 chars", "g".repeat(256));
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, String> entry : keys.entrySet()) {
            String name = entry.getKey();
            String bad = entry.getValue();
            expect(wrong, name + ": evictSequence", UnknownSequenceException.class,
                   () -> operations.evictSequence(OPERATOR, GROUP, bad));
            expect(wrong, name + ": redeliverSequence", UnknownSequenceException.class,
                   () -> operations.redeliverSequence(OPERATOR, GROUP, bad));
            expect(wrong, name + ": redeliverLetters", UnknownSequenceException.class,
                   () -> operations.redeliverLetters("system", GROUP, bad));
        }
        for (Map.Entry<String, String> entry : groups.entrySet()) {
            String name = entry.getKey();
            String bad = entry.getValue();
            expect(wrong, name + ": eraseGroup", InvalidProcessingGroupException.class,
                   () -> operations.eraseGroup(OPERATOR, bad));
            expect(wrong, name + ": evictSequence", InvalidProcessingGroupException.class,
                   () -> operations.evictSequence(OPERATOR, bad, key));
            expect(wrong, name + ": redeliverSequence", InvalidProcessingGroupException.class,
                   () -> operations.redeliverSequence(OPERATOR, bad, key));
            expect(wrong, name + ": redeliverOldest", InvalidProcessingGroupException.class,
                   () -> operations.redeliverOldest(OPERATOR, bad));
            expect(wrong, name + ": redeliverLetters", InvalidProcessingGroupException.class,
                   () -> operations.redeliverLetters("system", bad, key));
            expect(wrong, name + ": export", InvalidProcessingGroupException.class,
                   () -> operations.export(OPERATOR, bad, LetterFilter.none()));
            if (bad.indexOf('\u0000') >= 0) {
                expect(wrong, name + ": audit filter", IllegalArgumentException.class,
                       () -> operations.auditEntries(new AuditFilter(null, null, bad, null, null), 10, null));
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(app.letters("A")).hasSize(1);
        assertThat(app.letters("x?")).as("the sequence \"x?\" is not \"x\\uD800\"").hasSize(1);
        assertThat(auditRows()).isZero();
        assertThat(evictions).isEmpty();

        // An actor is recorded, not looked up: cleaned as the log's other texts are, it does not fail the change.
        assertThat(operations.evictSequence("ops\u0000", GROUP, key).removed()).isEqualTo(1);
        assertThat(audit("evict-sequence")).singleElement()
                                           .satisfies(e -> assertThat(e.actor()).isEqualTo("ops\uFFFD"));
    }

    /**
     * A letter filter whose text criteria hold U+0000 (no stored letter's do; PostgreSQL's text cannot hold it) is
     * refused with an IllegalArgumentException before any SQL, as an audit filter is, whether it goes to an export or
     * to a listing: it used to reach PostgreSQL and fail there with the driver's error (and match nothing on H2).
     */
    @Test
    void aLetterFilterHoldingNulIsRefusedBeforeAnySql() {
        app.park(1, "A");
        Map<String, Supplier<LetterFilter>> filters = Map.of(
                "sequenceKey", () -> new LetterFilter("A\u0000", null, null, null, null),
                "causeType", () -> new LetterFilter(null, "java.lang.IllegalStateException\u0000", null, null, null),
                "payloadType", () -> new LetterFilter(null, null, "\u0000", null, null),
                "withSequenceKey", () -> LetterFilter.none().withSequenceKey("\u0000"));
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Supplier<LetterFilter>> entry : filters.entrySet()) {
            String name = entry.getKey();
            Supplier<LetterFilter> filter = entry.getValue();
            expect(wrong, name + ": export", IllegalArgumentException.class,
                   () -> operations.export(OPERATOR, GROUP, filter.get()));
            expect(wrong, name + ": list", IllegalArgumentException.class,
                   () -> app.store.letters(GROUP, filter.get(), 10, null));
            Throwable thrown = catchThrowable(filter::get);
            if (thrown != null && !String.valueOf(thrown.getMessage()).endsWith("must not contain NUL characters")) {
                wrong.add(name + ": message " + thrown.getMessage());
            }
        }
        assertThat(wrong).isEmpty();
        assertThat(app.letters("A")).hasSize(1);
        assertThat(auditRows()).isZero();
    }

    private static void expect(List<String> wrong, String call, Class<? extends Throwable> type, Runnable action) {
        Throwable thrown = catchThrowable(action::run);
        if (!type.isInstance(thrown)) {
            wrong.add(call + ": " + (thrown == null ? "no exception" : thrown.getClass().getName() + ": "
                    + String.valueOf(thrown.getMessage()).lines().findFirst().orElse("")));
        }
    }

    private long auditRows() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class);
    }

    @Test
    void anAuditInsertTheDatabaseRefusesRollsTheChangeBack() {
        app.park(2, "A", "B");
        StoredLetter a0 = app.letters("A").get(0);

        jdbc.execute(REFUSE.formatted("evict-letter"));
        assertThatThrownBy(() -> operations.evictLetter(OPERATOR, a0.id()))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThat(app.appStore.letter(a0.id())).as("the letter is still there").isPresent();
        jdbc.execute("ALTER TABLE axon_dlq_audit DROP CONSTRAINT axon_dlq_audit_refuses");

        jdbc.execute(REFUSE.formatted("evict-sequence"));
        assertThatThrownBy(() -> operations.evictSequence(OPERATOR, GROUP, app.key("A")))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThat(app.sequenceSize("A")).isEqualTo(2);
        jdbc.execute("ALTER TABLE axon_dlq_audit DROP CONSTRAINT axon_dlq_audit_refuses");

        jdbc.execute(REFUSE.formatted("erase-group"));
        assertThatThrownBy(() -> operations.eraseGroup(OPERATOR, GROUP))
                .isInstanceOf(DataIntegrityViolationException.class);
        assertThat(app.appStore.size(GROUP)).isEqualTo(4);

        assertThat(evictions).as("nothing was evicted, so nothing was counted").isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class)).isZero();
    }

    @Test
    void aRedeliveryAuditsEachLetterInTheTransactionThatRecordsItsOutcome() {
        app.park(3, "A");
        app.park(2, "B");
        List<StoredLetter> a = app.letters("A");

        RedeliveryResult drained = operations.redeliverSequence(OPERATOR, GROUP, app.key("A"));

        assertThat(drained.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(audit("redeliver-letter")).extracting(AuditEntry::target)
                                             .containsExactly(a.stream().map(l -> l.id().toString())
                                                               .toArray(String[]::new));
        assertThat(audit("redeliver-letter")).allSatisfy(e -> {
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.actor()).isEqualTo(OPERATOR);
        });
        assertThat(audit("redeliver-sequence")).singleElement()
                                               .satisfies(e -> assertThat(e.detail()).startsWith("DRAINED"));
        assertThat(redeliveries).hasSize(3);

        // A letter that fails again is kept with attempts + 1, and its entry says so.
        StoredLetter b0 = app.letters("B").get(0);
        app.handler.faults.poisoned.add("B");
        RedeliveryResult failed = operations.redeliverSequenceOf(OPERATOR, b0.id());
        assertThat(failed.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(app.letters("B").get(0).attempts()).isEqualTo(b0.attempts() + 1);
        assertThat(audit("redeliver-letter")).filteredOn(e -> e.target().equals(b0.id().toString()))
                                             .singleElement()
                                             .satisfies(e -> {
                                                 assertThat(e.outcome()).isEqualTo("failure");
                                                 // The failure's type: its message may quote the payload.
                                                 assertThat(e.detail()).contains(failed.failureType())
                                                                       .doesNotContain("poisoned B#0");
                                             });
    }

    /**
     * The application on a pool that does not auto-commit ({@code spring.datasource.hikari.auto-commit=false}), which
     * rolls back whatever a connection left uncommitted when it is returned. A redelivery call's own entry is written
     * after the redelivery, outside any transaction (a caller's is refused): it must commit all the same, whether the
     * call redelivered, failed on a letter, or was rejected.
     */
    @Test
    void redeliveryCallsAreAuditedOnAPoolThatDoesNotAutoCommit() throws SQLException {
        app.close();
        manualCommit = manualCommitPool();
        app = new InvokerFixture(database, manualCommit, pool);
        app.start(Options.of(ProcessorType.POOLED));
        DeadLetterOperations onManual = new DeadLetterOperations(
                app.appStore, new JdbcAuditLog(manualCommit, SchemaInitializer.DEFAULT_TABLE_PREFIX),
                app.springTransactions, null, app::redeliverer);
        app.park(2, "A");
        app.park(1, "B");
        app.park(1, "C");

        assertThat(onManual.redeliverSequence(OPERATOR, GROUP, app.key("A")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(audit("redeliver-letter")).as("each letter's entry, in its transaction").hasSize(2);
        assertThat(audit("redeliver-sequence")).as("the call's entry is committed").singleElement()
                                               .satisfies(e -> assertThat(e.outcome()).isEqualTo("success"));

        app.handler.faults.poisoned.add("B");
        assertThat(onManual.redeliverOldest(OPERATOR, GROUP).outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(audit("redeliver-oldest")).as("the call's entry is committed").singleElement()
                                             .satisfies(e -> assertThat(e.outcome()).isEqualTo("failure"));

        SequenceClaim elsewhere = app.store.claim(GROUP, app.key("C"), Duration.ofMinutes(1)).orElseThrow();
        assertThatThrownBy(() -> onManual.redeliverSequence(OPERATOR, GROUP, app.key("C")))
                .isInstanceOf(SequenceClaimedException.class);
        assertThat(audit("redeliver-sequence")).as("the rejection's entry is committed")
                                               .filteredOn(e -> e.outcome().equals("rejected")).hasSize(1);
        app.store.release(elsewhere);
    }

    /** A second pool on the test's database, with auto-commit off. */
    private HikariDataSource manualCommitPool() throws SQLException {
        HikariConfig config = new HikariConfig();
        pool.unwrap(HikariDataSource.class).copyStateTo(config);
        config.setPoolName(config.getPoolName() + "-manual-commit");
        config.setAutoCommit(false);
        return new HikariDataSource(config);
    }

    @Test
    void auditEntriesOfRedeliveriesCarryTheFailureTypeNeverItsMessage() {
        app.park(2, "B");
        app.handler.faults.poisoned.add("B");

        RedeliveryResult failed = operations.redeliverSequence(OPERATOR, GROUP, app.key("B"));
        RedeliveryResult oldest = operations.redeliverOldest(OPERATOR, GROUP);

        assertThat(failed.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        assertThat(failed.failureMessage()).as("the caller still gets the message").contains("poisoned B#0");
        assertThat(oldest.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        List<AuditEntry> entries = new ArrayList<>(audit("redeliver-letter"));
        entries.addAll(audit("redeliver-sequence"));
        entries.addAll(audit("redeliver-oldest"));
        assertThat(entries).hasSize(4).allSatisfy(e -> {
            assertThat(e.detail()).contains(failed.failureType()).doesNotContain("poisoned");
        });
    }

    @Test
    void aSequenceRedeliveryStopsAtTheLetterLimitAndTheNextCallGoesOnInOrder() {
        app.park(5, "A");
        List<StoredLetter> a = app.letters("A");
        DeadLetterOperations limited = new DeadLetterOperations(app.appStore, auditLog, app.springTransactions, null,
                                                                app::redeliverer, 2);

        RedeliveryResult first = limited.redeliverSequence(OPERATOR, GROUP, app.key("A"));

        assertThat(first.outcome()).isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
        assertThat(first.redelivered()).isEqualTo(2);
        assertThat(first.remaining()).isEqualTo(3);
        assertThat(first.stoppedAtLetterId()).as("the first letter left").isEqualTo(a.get(2).id());
        assertThat(app.projected("A")).containsExactly(0L, 1L);
        assertThat(app.letters("A")).extracting(StoredLetter::id)
                                    .containsExactly(a.get(2).id(), a.get(3).id(), a.get(4).id());
        assertThat(audit("redeliver-sequence")).singleElement().satisfies(e -> {
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).startsWith("LIMIT_REACHED: redelivered 2, remaining 3");
        });

        // The sequence stays parked: a live event of it is parked behind the rest, not handled.
        app.publishRounds(1, "A");
        await().atMost(Duration.ofSeconds(30)).until(() -> app.sequenceSize("A") == 4);
        assertThat(app.projected("A")).containsExactly(0L, 1L);

        RedeliveryResult second = limited.redeliverSequenceOf(OPERATOR, a.get(2).id());
        assertThat(second.outcome()).isEqualTo(RedeliveryResult.Outcome.LIMIT_REACHED);
        assertThat(second.remaining()).isEqualTo(2);
        RedeliveryResult third = limited.redeliverOldest(OPERATOR, GROUP);
        assertThat(third.outcome()).as("exactly the limit left: drained").isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(third.redelivered()).isEqualTo(2);
        assertThat(app.projected("A")).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
        assertThat(audit("redeliver-letter")).hasSize(6);

        // Jobs and automatic retry drain whole sequences.
        app.park(3, "B");
        assertThat(limited.redeliverLetters("system", GROUP, app.key("B")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThatThrownBy(() -> new DeadLetterOperations(app.appStore, auditLog, app.springTransactions, null,
                                                          app::redeliverer, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void whatTheCallerRecordsWhenARedeliveryConcludesCommitsWithItsLastChange() {
        app.park(2, "A");
        app.park(2, "B");
        StoredLetter b0 = app.letters("B").get(0);
        List<RedeliveryResult> concluded = new ArrayList<>();
        RedeliveryRecorder refusing = new RedeliveryRecorder() {
            @Override
            public void concluded(RedeliveryResult result) {
                concluded.add(result);
                throw new IllegalStateException("refused");
            }
        };

        // Drained: the conclusion runs in the last letter's unit of work, and failing rolls that letter back.
        assertThatThrownBy(() -> operations.redeliverLetters("system", GROUP, app.key("A"), refusing))
                .hasMessageContaining("refused");
        assertThat(concluded).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
            assertThat(r.redelivered()).isEqualTo(2);
        });
        assertThat(app.projected("A")).as("the first letter committed, the last rolled back").containsExactly(0L);
        assertThat(app.sequenceSize("A")).isEqualTo(1);
        assertThat(audit("redeliver-letter")).hasSize(1);

        // Failed: the conclusion runs in the requeue's transaction, and failing rolls the attempt back.
        concluded.clear();
        app.handler.faults.poisoned.add("B");
        assertThatThrownBy(() -> operations.redeliverLetters("system", GROUP, app.key("B"), refusing))
                .hasMessageContaining("refused");
        assertThat(concluded).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
            assertThat(r.remaining()).isEqualTo(2);
            assertThat(r.stoppedAtLetterId()).isEqualTo(b0.id());
        });
        assertThat(app.letters("B").get(0).attempts()).isEqualTo(b0.attempts());
        assertThat(audit("redeliver-letter")).as("the failed letter's entry rolled back too").hasSize(1);

        // Committed with it when it succeeds: the letter's entry, then the caller's record, in one transaction.
        List<RedeliveryResult> recorded = new ArrayList<>();
        RedeliveryResult result = operations.redeliverLetters("system", GROUP, app.key("B"), new RedeliveryRecorder() {
            @Override
            public void concluded(RedeliveryResult r) {
                recorded.add(r);
            }
        });
        assertThat(recorded).containsExactly(result);
        assertThat(app.letters("B").get(0).attempts()).isEqualTo(b0.attempts() + 1);
    }

    @Test
    void redeliveringForAJobAuditsEachLetterButNotTheCall() {
        app.park(2, "A");
        List<StoredLetter> a = app.letters("A");

        RedeliveryResult result = operations.redeliverLetters("system", GROUP, app.key("A"));

        assertThat(result.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(audit("redeliver-letter")).extracting(AuditEntry::target, AuditEntry::actor)
                                             .containsExactly(org.assertj.core.groups.Tuple.tuple(
                                                                      a.get(0).id().toString(), "system"),
                                                              org.assertj.core.groups.Tuple.tuple(
                                                                      a.get(1).id().toString(), "system"));
        assertThat(audit("redeliver-sequence")).as("the job records the call itself").isEmpty();
    }

    @Test
    void aRedeliveredLetterWhoseAuditEntryIsRefusedIsRolledBackWithItsHandling() {
        app.park(2, "A");
        int attempts = app.letters("A").get(0).attempts();
        jdbc.execute(REFUSE.formatted("redeliver-letter"));

        assertThatThrownBy(() -> operations.redeliverSequence(OPERATOR, GROUP, app.key("A")))
                .isInstanceOf(DataIntegrityViolationException.class);

        assertThat(app.sequenceSize("A")).as("no letter was removed").isEqualTo(2);
        assertThat(app.letters("A").get(0).attempts()).as("nor counted as failed").isEqualTo(attempts);
        assertThat(app.projected("A")).as("the handler's write was rolled back").isEmpty();
        assertThat(redeliveries).isEmpty();
        assertThat(audit("redeliver-sequence")).singleElement()
                                               .satisfies(e -> assertThat(e.outcome()).isEqualTo("failure"));
        // The sequence is free again: a later redelivery, audited, drains it.
        jdbc.execute("ALTER TABLE axon_dlq_audit DROP CONSTRAINT axon_dlq_audit_refuses");
        assertThat(operations.redeliverSequence(OPERATOR, GROUP, app.key("A")).outcome())
                .isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(audit("redeliver-letter")).hasSize(2);
    }

    /**
     * Inside a caller's transaction (or unit of work) each letter's unit of work would join it: a failed letter's
     * writes would not roll back alone (I3), and the sequence would leave this node's parked set before the caller
     * commits (I2). Refused before anything is claimed, written or audited; outside, the same call works.
     */
    @Test
    void aRedeliveryInsideTheCallersTransactionOrUnitOfWorkIsRefusedAndChangesNothing() {
        app.park(2, "A");
        String key = app.key("A");
        List<StoredLetter> before = app.letters("A");
        Map<String, Object> sequenceBefore = sequenceRow(key);
        assertThat(sequenceBefore.get("claim_owner")).isNull();

        Throwable inTransaction = new TransactionTemplate(app.springTransactions).execute(
                status -> catchThrowable(() -> operations.redeliverSequence(OPERATOR, GROUP, key)));
        Throwable inUnitOfWork = inUnitOfWork(() -> operations.redeliverOldest(OPERATOR, GROUP));
        Throwable redelivererInTransaction = new TransactionTemplate(app.springTransactions).execute(
                status -> catchThrowable(() -> app.redeliverer().redeliver(GROUP, key)));
        Throwable forAJobInUnitOfWork = inUnitOfWork(() -> operations.redeliverLetters("system", GROUP, key));

        assertThat(Arrays.asList(inTransaction, inUnitOfWork, redelivererInTransaction, forAJobInUnitOfWork))
                .allSatisfy(t -> assertThat(t).isInstanceOf(RedeliveryInTransactionException.class)
                                              .isInstanceOf(IllegalStateException.class)
                                              .hasMessageContaining("outside any transaction"));
        assertThat(app.letters("A")).as("letters unchanged")
                                    .extracting(StoredLetter::id, StoredLetter::attempts)
                                    .containsExactlyElementsOf(before.stream().map(
                                            l -> org.assertj.core.groups.Tuple.tuple(l.id(), l.attempts())).toList());
        assertThat(sequenceRow(key)).as("counters and claim columns unchanged").isEqualTo(sequenceBefore);
        assertThat(app.projected("A")).isEmpty();
        assertThat(redeliveries).as("nothing reported").isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class)).as("nothing audited")
                                                                                         .isZero();
        // Still parked on this node: a new event of the sequence waits behind its letters.
        app.publishRounds(1, "A");
        await().atMost(Duration.ofSeconds(30)).until(() -> app.sequenceSize("A") == 3);
        assertThat(app.projected("A")).isEmpty();

        RedeliveryResult outside = operations.redeliverSequence(OPERATOR, GROUP, key);
        assertThat(outside.outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(app.projected("A")).containsExactly(0L, 1L, 2L);
    }

    /** Runs {@code call} in a started Axon unit of work (as a handler would), rolled back after. */
    private static Throwable inUnitOfWork(Runnable call) {
        UnitOfWork<?> unitOfWork = DefaultUnitOfWork.startAndGet(null);
        try {
            return catchThrowable(call::run);
        } finally {
            unitOfWork.rollback();
        }
    }

    private Map<String, Object> sequenceRow(String key) {
        return jdbc.queryForMap("SELECT letter_count, last_index, last_touched, claim_owner, claim_until "
                                        + "FROM axon_dlq_sequence WHERE processing_group = ? AND sequence_key = ?",
                                GROUP, key);
    }

    @Test
    void exportsAndLetterReadsThatShowPayloadsAreAudited() throws IOException {
        app.park(3, "A");
        StoredLetter a0 = app.letters("A").get(0);

        DeadLetterOperations.LetterDetail detail = operations.letterDetail(OPERATOR, a0.id(), true);
        assertThat(detail.attempts()).hasSize(3);
        operations.letterDetail(OPERATOR, a0.id(), false);
        assertThat(audit("read-letter")).singleElement().satisfies(e -> {
            assertThat(e.target()).isEqualTo(a0.id().toString());
            assertThat(e.actor()).isEqualTo(OPERATOR);
        });

        Export export = operations.export(OPERATOR, GROUP, LetterFilter.none().withSequenceKey(app.key("A")),
                                          "format", "ndjson");
        List<String> written = new ArrayList<>();
        List<String> outcomeWhileStreaming = new ArrayList<>();
        long count = export.writeTo(new LetterSink() {
            @Override
            public void letter(StoredLetter letter, List<AttemptRecord> attempts) {
                written.add(letter.id().toString());
                outcomeWhileStreaming.add(audit("export").get(0).outcome());
            }
        });
        assertThat(count).isEqualTo(3);
        assertThat(outcomeWhileStreaming).as("on record, committed, before the first letter left")
                                         .containsOnly("started");
        assertThat(audit("export")).singleElement().satisfies(e -> {
            assertThat(e.outcome()).isEqualTo("success");
            assertThat(e.detail()).isEqualTo("exported 3 letters");
            assertThat(e.parameters()).contains("\"format\":\"ndjson\"").contains(app.key("A"));
        });
    }
}
