package io.axondlq.spring.jobs;

import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.JobWorker;
import io.axondlq.core.jobs.Leases;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.AutomaticRetryState;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.EventProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

import static io.axondlq.spring.jobs.RetryJobFixture.GROUP;
import static io.axondlq.spring.jobs.RetryJobFixture.PREFIX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Automatic retry against a real database and a real Axon processing group. Due times are the database's, and its
 * clock cannot be moved: the test lets time pass by moving the stored times into its past ({@link #elapse}). Covered:
 * the schedule's progression counted from each sequence's last touch, exhaustion (the sequence waits for an
 * operator), state removed with a drained or evicted sequence, claimed sequences skipped for a round, groups that do not run here left alone, the audit trail as the system actor, and two
 * schedulers ("nodes") of which only one works on a group at a time. Subclasses pick the database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class AutoRetrySchedulerTest {

    private static final String CAUSE = IllegalStateException.class.getName();
    private static final List<Duration> SCHEDULE =
            List.of(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(30));
    private static final Duration LEASE = Duration.ofMinutes(2);
    /** Real time a test may take between a sequence's touch and a check that it is not due yet. */
    private static final Duration MARGIN = Duration.ofSeconds(10);

    @TestDataSource
    DataSource dataSource;

    private RetryJobFixture f;
    private Instant t0;
    private DatabaseClock databaseClock;
    private final java.util.Map<AutoRetryScheduler, JobWorker> workers = new java.util.HashMap<>();

    @BeforeEach
    void start() {
        f = RetryJobFixture.start(dataSource);
        t0 = Instant.now();
        databaseClock = new DatabaseClock(dataSource);
    }

    @AfterEach
    void stop() {
        workers.values().forEach(JobWorker::stop);
        if (f != null) {
            f.close();
        }
    }

    private AutoRetryScheduler scheduler(String node) {
        return scheduler(node, f.ledger.wrapAuto(node, f.autoRedelivery));
    }

    private AutoRetryScheduler scheduler(String node, AutoRetryScheduler.Redelivery redelivery) {
        return scheduler(node, redelivery, LEASE);
    }

    private AutoRetryScheduler scheduler(String node, AutoRetryScheduler.Redelivery redelivery, Duration lease) {
        return scheduler(node, redelivery, lease, f.retryAudit);
    }

    private AutoRetryScheduler scheduler(String node, AutoRetryScheduler.Redelivery redelivery, Duration lease,
                                         RetryJobAudit audit) {
        return scheduler(node, redelivery, lease, audit, Clock.systemUTC());
    }

    private AutoRetryScheduler scheduler(String node, AutoRetryScheduler.Redelivery redelivery, Duration lease,
                                         RetryJobAudit audit, Clock nodeClock) {
        return scheduler(node, redelivery, lease, audit, nodeClock, f.leases);
    }

    private AutoRetryScheduler scheduler(String node, AutoRetryScheduler.Redelivery redelivery, Duration lease,
                                         RetryJobAudit audit, Clock nodeClock, Leases leases) {
        AutoRetryScheduler scheduler = new AutoRetryScheduler(
                f.store, leases, f.transactions, redelivery, GROUP::equals, audit, JobWorker.ownerName(node),
                new AutoRetryScheduler.Settings(SCHEDULE, Duration.ofMillis(20), 100, lease), nodeClock);
        workers.put(scheduler, new JobWorker(List.of(scheduler), Duration.ofSeconds(10)));
        return scheduler;
    }

    /** A parked sequence whose handler keeps failing, last touched at {@code at}. */
    /**
     * Parks {@code letters} events of {@code thingId}, touched at {@code at} by the node's clock and, as the schedule
     * reads it, by the database's: these tests are about the schedule, not about clocks that disagree.
     */
    private String poisoned(String thingId, int letters, Instant at) {
        f.handler.poisoned.add(thingId);
        String key = f.seed(thingId, letters, CAUSE, at);
        f.jdbc.update("UPDATE " + PREFIX + "sequence SET touched_at = last_touched WHERE processing_group = ? "
                              + "AND sequence_key = ?", GROUP, key);
        return key;
    }

    private Optional<AutomaticRetryState> state(AutoRetryScheduler scheduler, String key) {
        return scheduler.state(GROUP, key);
    }

    private StoredLetter head(String key) {
        return f.store.sequenceLetters(GROUP, key, -1, 1).get(0);
    }

    private List<AuditEntry> autoRetryAudit() {
        return f.auditEntries(AutoRetryScheduler.AUDIT_ACTION);
    }

    /**
     * Lets {@code d} pass for the schedule: the times the due check reads (the sequences' last touch, the last
     * automatic retry, its copy on the sequence row (V7) and its next due time) move {@code d} into the database's past, in one transaction, relative to
     * their current values, so a scheduler running meanwhile sees all or none of it.
     */
    private void elapse(Duration d) {
        boolean postgres = SqlDialect.detect(dataSource) == SqlDialect.POSTGRESQL;
        String minus = postgres ? "%1$s - ? * INTERVAL '1 millisecond'" : "DATEADD(MILLISECOND, -?, %1$s)";
        new TransactionTemplate(f.transactions).executeWithoutResult(status -> {
            f.jdbc.update("UPDATE " + PREFIX + "sequence SET last_touched = "
                                  + String.format(Locale.ROOT, minus, "last_touched") + ", touched_at = "
                                  + String.format(Locale.ROOT, minus, "touched_at") + ", auto_retried_at = "
                                  + String.format(Locale.ROOT, minus, "auto_retried_at"), d.toMillis(), d.toMillis(),
                          d.toMillis());
            f.jdbc.update("UPDATE " + PREFIX + "auto_retry SET last_retry_at = "
                                  + String.format(Locale.ROOT, minus, "last_retry_at") + ", next_at = "
                                  + String.format(Locale.ROOT, minus, "next_at"), d.toMillis(), d.toMillis());
        });
    }

    private long stateRows() {
        return f.jdbc.queryForObject("SELECT COUNT(*) FROM " + PREFIX + "auto_retry", Long.class);
    }

    @Test
    void retriesFollowTheScheduleFromTheLastTouchAndStopWhenItIsExhausted() {
        String key = poisoned("P", 2, t0);
        AutoRetryScheduler scheduler = scheduler("node-1");

        elapse(Duration.ofMinutes(1).minus(MARGIN));
        assertThat(scheduler.pollOnce()).as("not due before the first wait").isZero();
        assertThat(state(scheduler, key)).isEmpty();

        elapse(MARGIN);
        Instant before = databaseClock.instant();
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        Instant after = databaseClock.instant();
        AutomaticRetryState afterFirst = state(scheduler, key).orElseThrow();
        assertThat(afterFirst.retries()).isEqualTo(1);
        assertThat(afterFirst.lastOutcome()).isEqualTo("FAILED");
        assertThat(afterFirst.lastRetryAt()).as("the database's clock").isBetween(before, after);
        assertThat(afterFirst.nextAt()).isEqualTo(afterFirst.lastRetryAt().plus(Duration.ofMinutes(5)));
        assertThat(head(key).attempts()).as("seeded with 1 failed attempt, plus the retry").isEqualTo(2);
        assertThat(f.store.sequenceSize(GROUP, key)).isEqualTo(2);

        elapse(Duration.ofMinutes(5).minus(MARGIN));
        assertThat(scheduler.pollOnce()).as("the second wait counts from the failed retry").isZero();
        elapse(MARGIN);
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        AutomaticRetryState afterSecond = state(scheduler, key).orElseThrow();
        assertThat(afterSecond.retries()).isEqualTo(2);
        assertThat(afterSecond.nextAt()).isEqualTo(afterSecond.lastRetryAt().plus(Duration.ofMinutes(30)));

        elapse(Duration.ofMinutes(30).minus(MARGIN));
        assertThat(scheduler.pollOnce()).isZero();
        elapse(MARGIN);
        before = databaseClock.instant();
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        after = databaseClock.instant();
        AutomaticRetryState exhausted = state(scheduler, key).orElseThrow();
        assertThat(exhausted.retries()).isEqualTo(3);
        assertThat(exhausted.lastRetryAt()).isBetween(before, after);
        assertThat(exhausted.nextAt()).as("past the schedule: no next retry").isNull();

        // Past the schedule the sequence waits for an operator, however long.
        elapse(Duration.ofDays(7));
        assertThat(scheduler.pollOnce()).isZero();
        assertThat(scheduler.pollOnce()).isZero();
        assertThat(head(key).attempts()).isEqualTo(4);
        assertThat(f.ledger.nodes(key)).containsExactly("node-1", "node-1", "node-1");

        List<AuditEntry> audit = autoRetryAudit();
        assertThat(audit).hasSize(3);
        assertThat(audit).extracting(AuditEntry::actor).containsOnly(RetryJobRunner.SYSTEM_ACTOR);
        assertThat(audit).extracting(AuditEntry::outcome).containsOnly("failure");
        assertThat(audit).extracting(AuditEntry::target).containsOnly(key);
        assertThat(audit).extracting(AuditEntry::processingGroup).containsOnly(GROUP);
        assertThat(audit.get(0).parameters()).contains("\"retry\":1").contains("\"scheduledRetries\":3");
        assertThat(audit.get(2).parameters()).contains("\"retry\":3");
        assertThat(audit.get(0).detail()).startsWith("FAILED").contains(CAUSE);
        assertThat(audit.get(2).detail()).contains("waits for an operator");

        // The operator fixes the handler and redelivers: drained, and the state goes with the sequence.
        f.handler.poisoned.remove("P");
        assertThat(f.redeliverer.redeliver(GROUP, key).outcome()).isEqualTo(RedeliveryResult.Outcome.DRAINED);
        assertThat(state(scheduler, key)).isEmpty();
        assertThat(stateRows()).isZero();
    }

    /**
     * Nodes whose JVM clocks are an hour ahead and an hour behind: due times are still the database's, for the
     * retry they check and for the one they record.
     */
    @Test
    void schedulersWithSkewedClocksFollowTheDatabaseClock() {
        String key = poisoned("SKEW", 1, t0);
        AutoRetryScheduler ahead = scheduler("node-ahead", f.ledger.wrapAuto("node-ahead", f.autoRedelivery), LEASE,
                                             f.retryAudit, Clock.offset(Clock.systemUTC(), Duration.ofHours(1)));
        assertThat(ahead.pollOnce()).as("its clock is an hour ahead, the first wait has not passed").isZero();

        elapse(Duration.ofMinutes(1));
        Instant before = databaseClock.instant();
        assertThat(ahead.pollOnce()).isEqualTo(1);
        Instant after = databaseClock.instant();
        assertThat(state(ahead, key).orElseThrow().lastRetryAt()).isBetween(before, after);
        ahead.releaseLeases();

        AutoRetryScheduler behind = scheduler("node-behind", f.ledger.wrapAuto("node-behind", f.autoRedelivery),
                                              LEASE, f.retryAudit,
                                              Clock.offset(Clock.systemUTC(), Duration.ofHours(-1)));
        elapse(Duration.ofMinutes(5).minus(MARGIN));
        assertThat(behind.pollOnce()).as("its clock is an hour behind, the second wait has not passed").isZero();
        elapse(MARGIN);
        assertThat(behind.pollOnce()).as("due by the database's clock, not an hour later").isEqualTo(1);
        assertThat(f.ledger.nodes(key)).containsExactly("node-ahead", "node-behind");
        assertThat(state(behind, key).orElseThrow().retries()).isEqualTo(2);
    }

    @Test
    void aDrainedSequenceLeavesNoStateAndALaterOneWithTheSameKeyStartsAfresh() {
        String key = poisoned("D", 2, t0);
        AutoRetryScheduler scheduler = scheduler("node-1");
        elapse(Duration.ofMinutes(1));
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(state(scheduler, key).orElseThrow().retries()).isEqualTo(1);

        // Fixed: the second automatic retry drains the sequence.
        f.handler.poisoned.remove("D");
        elapse(Duration.ofMinutes(5));
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(f.store.contains(GROUP, key)).isFalse();
        assertThat(f.handler.handled).containsExactly("D#0", "D#1");
        assertThat(state(scheduler, key)).isEmpty();
        assertThat(stateRows()).isZero();
        AuditEntry drained = autoRetryAudit().get(1);
        assertThat(drained.outcome()).isEqualTo("success");
        assertThat(drained.detail()).startsWith("DRAINED: redelivered 2, remaining 0");
        assertThat(drained.parameters()).contains("\"retry\":2");

        // The same key fails again later: its schedule starts from the beginning.
        poisoned("D", 1, Instant.now());
        elapse(Duration.ofMinutes(1).minus(MARGIN));
        assertThat(scheduler.pollOnce()).isZero();
        elapse(MARGIN);
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(state(scheduler, key).orElseThrow().retries()).isEqualTo(1);

        // Evicted by an operator: the state goes too.
        f.store.evictSequence(GROUP, key);
        assertThat(stateRows()).isZero();
    }

    @Test
    void theWaitCountsFromTheLastTouchOfTheSequence() {
        String old = poisoned("OLD", 1, t0.minus(Duration.ofHours(1)));
        String fresh = poisoned("FRESH", 1, t0.minusSeconds(30));
        AutoRetryScheduler scheduler = scheduler("node-1");

        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(f.ledger.nodes(old)).hasSize(1);
        assertThat(f.ledger.nodes(fresh)).isEmpty();

        // An operator's failed redelivery touches the sequence: the next wait counts from it.
        elapse(Duration.ofMinutes(4));
        assertThat(f.redeliverer.redeliver(GROUP, old).outcome()).isEqualTo(RedeliveryResult.Outcome.FAILED);
        elapse(Duration.ofMinutes(2)); // 6 minutes after the automatic retry, 2 after the operator's
        assertThat(scheduler.pollOnce()).as("only FRESH is due").isEqualTo(1);
        assertThat(f.ledger.nodes(fresh)).hasSize(1);
        assertThat(f.ledger.nodes(old)).hasSize(1);
        elapse(Duration.ofMinutes(3));
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(f.ledger.nodes(old)).hasSize(2);
        assertThat(state(scheduler, old).orElseThrow().retries()).isEqualTo(2);
    }

    /**
     * A round works through its due sequences one after the other, which may take a while: an operator's redelivery
     * of a later one meanwhile restarts its wait, and the round must not retry it right after.
     */
    @Test
    void aSequenceAnOperatorRedeliversDuringTheRoundIsNotRetriedRightAfter() {
        String first = poisoned("FIRST", 1, t0);
        String second = poisoned("SECOND", 1, t0.plusSeconds(1));
        elapse(Duration.ofMinutes(2));
        AutoRetryScheduler.Redelivery delegate = f.ledger.wrapAuto("node-1", f.autoRedelivery);
        AutoRetryScheduler scheduler = scheduler("node-1", (group, key, recorder) -> {
            if (key.equals(first)) {
                // Both were due when the round began; the operator retries SECOND while FIRST is redelivered.
                assertThat(f.redeliverer.redeliver(GROUP, second).outcome())
                        .isEqualTo(RedeliveryResult.Outcome.FAILED);
            }
            return delegate.redeliver(group, key, recorder);
        });

        assertThat(scheduler.pollOnce()).as("only FIRST is still due").isEqualTo(1);
        assertThat(f.ledger.nodes(first)).hasSize(1);
        assertThat(f.ledger.nodes(second)).as("no automatic retry right after the operator's").isEmpty();
        assertThat(head(second).attempts()).as("seeded with 1 failed attempt, plus the operator's").isEqualTo(2);
        assertThat(state(scheduler, second)).isEmpty();
        assertThat(autoRetryAudit()).extracting(AuditEntry::target).containsExactly(first);

        // Its wait counts from the operator's redelivery.
        elapse(Duration.ofMinutes(1));
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(f.ledger.nodes(second)).hasSize(1);
        assertThat(state(scheduler, second).orElseThrow().retries()).isEqualTo(1);
    }

    @Test
    void sequencesBeingRedeliveredElsewhereAreSkippedForARound() {
        String a = poisoned("A", 1, t0);
        String b = poisoned("B", 1, t0.plusSeconds(1));
        String c = poisoned("C", 1, t0.plusSeconds(2));
        elapse(Duration.ofMinutes(2));
        SequenceClaim claim = f.store.claim(GROUP, a, Duration.ofMinutes(10)).orElseThrow();
        // C is claimed by someone between the listing and the redelivery.
        AutoRetryScheduler scheduler = scheduler("node-1", (group, key, recorder) -> {
            if (key.equals(c)) {
                throw new SequenceClaimedException(group, key, "someone-else", Instant.now().plusSeconds(30));
            }
            return f.autoRedelivery.redeliver(group, key, recorder);
        });

        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(state(scheduler, a)).isEmpty();
        assertThat(state(scheduler, b).orElseThrow().retries()).isEqualTo(1);
        assertThat(state(scheduler, c)).as("a skipped sequence is not counted").isEmpty();
        assertThat(autoRetryAudit()).extracting(AuditEntry::target).containsExactly(b);

        f.store.release(claim);
        AutoRetryScheduler other = scheduler("node-1");
        other.pollOnce(); // the first one's lease still runs: this one waits
        assertThat(state(scheduler, a)).isEmpty();
        scheduler.releaseLeases();
        assertThat(other.pollOnce()).isEqualTo(2);
        assertThat(state(scheduler, a).orElseThrow().retries()).isEqualTo(1);
        assertThat(state(scheduler, c).orElseThrow().retries()).isEqualTo(1);
    }

    /**
     * A due sequence that is gone by the time its turn comes (an operator evicted or redelivered it meanwhile): the
     * automatic retry did nothing to it, so it audits nothing and counts no redelivery; what removed it has its own
     * audit entry.
     */
    @Test
    void aSequenceGoneBeforeItsTurnIsNotAuditedAsASuccess() {
        String gone = poisoned("GONE", 1, t0);
        String failing = poisoned("FAILING", 1, t0.plusSeconds(1));
        elapse(Duration.ofMinutes(2));
        AutoRetryScheduler.Redelivery delegate = f.ledger.wrapAuto("node-1", f.autoRedelivery);
        AutoRetryScheduler scheduler = scheduler("node-1", (group, key, recorder) -> {
            if (key.equals(gone)) {
                // Due when the round read it; evicted by an operator just before its redelivery.
                f.operations.evictSequence("alice", GROUP, gone);
            }
            return delegate.redeliver(group, key, recorder);
        });

        int redeliveries = scheduler.pollOnce();

        assertThat(f.ledger.nodes(gone)).as("its turn came after the eviction").containsExactly("node-1");
        assertThat(f.store.contains(GROUP, gone)).isFalse();
        assertThat(autoRetryAudit()).extracting(AuditEntry::target).containsExactly(failing);
        assertThat(redeliveries).as("only FAILING was redelivered").isEqualTo(1);
        assertThat(state(scheduler, gone)).isEmpty();
    }

    /**
     * The group's processor is stopped on this node: automatic retry runs none of its handlers through it there (the
     * production redelivery, through the operations service), and leaves the group to nodes where it runs.
     */
    @Test
    void aGroupWhoseProcessorIsStoppedOnThisNodeIsLeftAlone() {
        String key = poisoned("STOPPED", 1, t0);
        f.handler.poisoned.remove("STOPPED");
        elapse(Duration.ofMinutes(2));
        EventProcessor processor = f.axon.eventProcessingConfiguration().eventProcessorByProcessingGroup(GROUP)
                                         .orElseThrow();
        processor.shutDown();
        AutoRetryScheduler scheduler = scheduler("node-1");

        assertThat(scheduler.pollOnce()).isZero();

        assertThat(f.ledger.nodes(key)).as("its turn came while the processor was stopped").containsExactly("node-1");
        assertThat(f.handler.handled).as("no handler ran through the stopped processor").isEmpty();
        assertThat(f.store.contains(GROUP, key)).isTrue();
        assertThat(autoRetryAudit()).isEmpty();
        assertThat(state(scheduler, key)).isEmpty();
        assertThat(f.leases.holder(AutoRetryScheduler.leaseName(GROUP))).as("left to other nodes").isEmpty();

        processor.start();
        AutoRetryScheduler elsewhere = scheduler("node-2");
        assertThat(elsewhere.pollOnce()).isEqualTo(1);
        assertThat(f.handler.handled).containsExactly("STOPPED#0");
    }

    @Test
    void aRetryWhoseAuditEntryCannotBeWrittenIsNotCounted() {
        String key = poisoned("UNAUDITED", 1, t0);
        RetryJobAudit failing = new RetryJobAudit() {
            @Override
            public void automaticRetry(String processingGroup, String sequenceKey, int retry, int scheduledRetries,
                                       String outcome, String detail) {
                throw new IllegalStateException("audit log unavailable");
            }
        };
        AutoRetryScheduler scheduler = scheduler("node-1", f.ledger.wrapAuto("node-1", f.autoRedelivery), LEASE,
                                                 failing);
        elapse(Duration.ofMinutes(1));

        scheduler.pollOnce();

        // The redelivery ran and failed, but the count commits only with its audit entry: the retry is not counted.
        assertThat(f.ledger.nodes(key)).containsExactly("node-1");
        assertThat(state(scheduler, key)).isEmpty();
        assertThat(stateRows()).isZero();
    }

    /**
     * The application shuts down while an automatic retry redelivers a long sequence, and the letter in progress fails
     * because the context is closing its beans: the retry ends after that letter, which keeps its attempts and no
     * history row; the retry is neither counted nor audited, so the sequence stays due for the restart.
     */
    @Test
    void aShutdownMidSequenceEndsTheRetryAfterTheLetterInProgressAndHoldsNothingAgainstIt() throws Exception {
        String key = poisoned("AUTO", 20, t0);
        f.handler.poisoned.remove("AUTO");
        CountDownLatch release = new CountDownLatch(1);
        f.handler.pausedEvents.put("AUTO#2", release);
        AutoRetryScheduler scheduler = scheduler("node-1");
        elapse(Duration.ofMinutes(1));
        JobWorker worker = new JobWorker(List.of(scheduler), Duration.ofMillis(200));
        worker.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> f.handler.waitingEvents.contains("AUTO#2"));

            worker.stop();
            assertThat(worker.awaitTermination(Duration.ZERO)).as("the stop timed out in the third letter").isFalse();
            // The context goes on closing after the worker's stop timeout: the handler's DataSource is gone.
            f.handler.contextClosed.set(true);
            release.countDown();
            assertThat(worker.awaitTermination(Duration.ofSeconds(60))).as("hang guard").isTrue();
        } finally {
            f.handler.contextClosed.set(false);
            release.countDown();
            worker.stop();
        }

        assertThat(f.handler.handled).containsExactly("AUTO#0", "AUTO#1");
        assertThat(f.store.sequenceSize(GROUP, key)).as("letters left").isEqualTo(18);
        StoredLetter third = head(key);
        assertThat(third.attempts()).as("attempts of the letter the shutdown broke").isZero();
        assertThat(f.store.attempts(third.id())).as("attempt history of that letter").isEmpty();
        assertThat(state(scheduler, key)).as("the retry is not counted").isEmpty();
        assertThat(autoRetryAudit()).isEmpty();
        assertThat(f.auditEntries(DeadLetterOperations.REDELIVER_LETTER)).hasSize(2)
                .allSatisfy(e -> assertThat(e.outcome()).isEqualTo("success"));

        // The stop timed out, so the worker gives its lease back on a thread of its own once the letter ended.
        await().atMost(Duration.ofSeconds(30)).until(() -> f.leases.holder(AutoRetryScheduler.leaseName(GROUP))
                                                                  .isEmpty());
        // Restarted: the sequence is still due and drains.
        AutoRetryScheduler restarted = scheduler("node-1");
        assertThat(restarted.pollOnce()).isEqualTo(1);
        assertThat(f.store.contains(GROUP, key)).isFalse();
        assertThat(f.handler.handled).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void everyLetterIsAuditedAndTheRetryIsRecordedInTheTransactionOfItsLastChange() {
        String key = poisoned("L", 3, t0);
        String headId = head(key).id().toString();
        AutoRetryScheduler scheduler = scheduler("node-1");
        elapse(Duration.ofMinutes(1));

        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(f.auditEntries(DeadLetterOperations.REDELIVER_LETTER)).singleElement().satisfies(e -> {
            assertThat(e.target()).isEqualTo(headId);
            assertThat(e.actor()).isEqualTo(RetryJobRunner.SYSTEM_ACTOR);
            assertThat(e.outcome()).isEqualTo("failure");
            assertThat(e.detail()).contains(CAUSE).doesNotContain("poisoned");
        });
        assertThat(autoRetryAudit()).singleElement()
                                    .satisfies(e -> assertThat(e.detail()).contains(CAUSE).doesNotContain("poisoned"));

        // Failed again, but its entry is refused: the failed letter's requeue (attempt, letter entry) rolls back
        // with the count.
        f.refuseAudit(AutoRetryScheduler.AUDIT_ACTION);
        elapse(Duration.ofMinutes(5));
        scheduler.pollOnce();
        assertThat(head(key).attempts()).as("seeded 1, plus the first retry only").isEqualTo(2);
        assertThat(state(scheduler, key).orElseThrow().retries()).isEqualTo(1);
        assertThat(f.auditEntries(DeadLetterOperations.REDELIVER_LETTER)).hasSize(1);

        // Fixed, still refused: the letters before the last commit, the last one's removal rolls back with the entry.
        f.handler.poisoned.remove("L");
        scheduler.pollOnce();
        assertThat(f.store.sequenceSize(GROUP, key)).isEqualTo(1);
        assertThat(f.handler.handled).contains("L#0", "L#1");
        assertThat(f.auditEntries(DeadLetterOperations.REDELIVER_LETTER)).hasSize(3);
        assertThat(autoRetryAudit()).hasSize(1);

        f.acceptAudit();
        elapse(Duration.ofMinutes(6)); // due again, however the removals touched the sequence
        assertThat(scheduler.pollOnce()).isEqualTo(1);
        assertThat(f.store.contains(GROUP, key)).isFalse();
        assertThat(f.auditEntries(DeadLetterOperations.REDELIVER_LETTER)).hasSize(4);
        assertThat(autoRetryAudit()).hasSize(2).last()
                                    .satisfies(e -> assertThat(e.detail()).startsWith("DRAINED: redelivered 1"));
    }

    @Test
    void groupsThatDoNotRunHereAreLeftAlone() {
        f.seed("elsewhere", "X", 1, CAUSE, t0);
        AutoRetryScheduler scheduler = scheduler("node-1");
        elapse(Duration.ofHours(1));

        assertThat(scheduler.pollOnce()).isZero();

        assertThat(f.store.contains("elsewhere", f.key("X"))).isTrue();
        assertThat(f.leases.holder(AutoRetryScheduler.leaseName("elsewhere"))).isEmpty();
        assertThat(autoRetryAudit()).isEmpty();
    }

    /**
     * One sequence whose redelivery outlasts the group's lease (4 letters, 0.7 s each, lease 1.5 s): its node renews
     * the lease as the letters go by, so another node polling meanwhile, with due work of its own in the group, does
     * not take the group over. Before, the lease was renewed only between sequences: it expired mid-sequence and the
     * other node started on the group.
     */
    @Test
    void aSequenceLongerThanTheLeaseKeepsTheGroupWithItsNode() throws Exception {
        poisoned("LONG", 4, t0);
        f.handler.poisoned.remove("LONG"); // its letters now succeed, slowly
        Duration lease = Duration.ofMillis(1500);
        CountDownLatch firstLetter = new CountDownLatch(1);
        AutoRetryScheduler.Redelivery slow = (group, key, recorder) -> f.autoRedelivery.redeliver(
                group, key, new RedeliveryRecorder() {
                    @Override
                    public void redelivered(StoredLetter letter) {
                        firstLetter.countDown();
                        sleep(Duration.ofMillis(700));
                        recorder.redelivered(letter);
                    }

                    @Override
                    public void failed(StoredLetter letter, Throwable failure) {
                        recorder.failed(letter, failure);
                    }

                    @Override
                    public void concluded(RedeliveryResult result) {
                        recorder.concluded(result);
                    }
                });
        AutoRetryScheduler a = scheduler("node-a", slow, lease);
        AutoRetryScheduler b = scheduler("node-b", f.autoRedelivery, lease);
        String leaseName = AutoRetryScheduler.leaseName(GROUP);
        elapse(Duration.ofMinutes(1));

        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            long started = System.nanoTime();
            Future<Integer> aRun = thread.submit(a::pollOnce);
            assertThat(firstLetter.await(30, TimeUnit.SECONDS)).isTrue();
            poisoned("OTHER", 1, Instant.now().minus(Duration.ofMinutes(1))); // due work for node b
            Set<String> holders = new HashSet<>();
            int bRuns = 0;
            int bPollsPastTheLease = 0;
            while (!aRun.isDone()) {
                bRuns += b.pollOnce();
                f.leases.holder(leaseName).ifPresent(holders::add);
                if (System.nanoTime() - started > lease.toNanos()) {
                    bPollsPastTheLease++;
                }
                sleep(Duration.ofMillis(100));
            }
            assertThat(aRun.get()).as("LONG, then OTHER: due by then, and each sequence is read just before it")
                                  .isEqualTo(2);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the sequence outlasted the lease")
                                                                   .isGreaterThan(lease.plusMillis(500));
            assertThat(bPollsPastTheLease).as("node b polled after the lease would have expired").isPositive();
            assertThat(holders).as("the group's lease stayed with node a").containsExactly(a.owner());
            assertThat(bRuns).isZero();
            assertThat(f.store.sequenceSize(GROUP, f.store.sequenceKey("LONG"))).isZero();
        } finally {
            thread.shutdownNow();
            a.releaseLeases();
            b.releaseLeases();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void onlyOneSchedulerWorksOnAGroupAtATime() {
        List<String> keys = new ArrayList<>(List.of(poisoned("N0", 1, t0), poisoned("N1", 1, t0),
                                                    poisoned("N2", 1, t0)));
        // Leases run on the database clock: a short one, which a's polls keep renewing, lets b take over in real time.
        Duration shortLease = Duration.ofSeconds(3);
        AutoRetryScheduler a = scheduler("node-a", f.ledger.wrapAuto("node-a", f.autoRedelivery), shortLease);
        AutoRetryScheduler b = scheduler("node-b", f.ledger.wrapAuto("node-b", f.autoRedelivery), shortLease);
        var leases = f.leases;
        String lease = AutoRetryScheduler.leaseName(GROUP);

        elapse(Duration.ofMinutes(1));
        assertThat(a.pollOnce()).isEqualTo(3);
        assertThat(leases.holder(lease)).contains(a.owner());
        // due work appears while a holds the group's lease: b leaves it alone, a does it
        keys.add(poisoned("N3", 1, Instant.now().minus(Duration.ofMinutes(1))));
        assertThat(b.pollOnce()).isZero();
        assertThat(a.pollOnce()).isEqualTo(1);

        // a keeps the lease as long as it polls, also when nothing is due
        for (int minute = 0; minute < 4; minute++) {
            elapse(Duration.ofMinutes(1));
            assertThat(a.pollOnce()).isZero();
        }
        elapse(Duration.ofMinutes(1));
        assertThat(b.pollOnce()).as("due, but a's lease runs").isZero();
        assertThat(a.pollOnce()).isEqualTo(4);

        // a dies without giving the lease back: b takes over once it expired, and a stays out
        elapse(Duration.ofMinutes(30));
        await().atMost(Duration.ofSeconds(30)).until(() -> leases.holder(lease).isEmpty());
        assertThat(b.pollOnce()).isEqualTo(4);
        assertThat(leases.holder(lease)).contains(b.owner());
        assertThat(a.pollOnce()).isZero();
        for (String key : keys) {
            assertThat(f.ledger.nodes(key)).containsExactly("node-a", "node-a", "node-b");
            assertThat(state(a, key).orElseThrow().retries()).isEqualTo(3);
        }

        // once nothing is left, the lease is let go
        f.store.evictGroup(GROUP);
        b.pollOnce();
        assertThat(leases.holder(lease)).isEmpty();
    }

    /**
     * Two nodes whose leases are written on pools that do not auto-commit: the group's lease must commit, or both
     * believe they hold it. The holder's lease is seen by the other, which leaves the group alone, and its release too.
     */
    @Test
    void onPoolsThatDoNotAutoCommitOneSchedulerHoldsAGroup() {
        poisoned("M0", 1, t0);
        String lease = AutoRetryScheduler.leaseName(GROUP);
        try (HikariDataSource poolA = f.manualCommitPool(); HikariDataSource poolB = f.manualCommitPool()) {
            AutoRetryScheduler a = scheduler("node-a", f.ledger.wrapAuto("node-a", f.autoRedelivery), LEASE,
                                             f.retryAudit, Clock.systemUTC(), leasesOn(poolA));
            AutoRetryScheduler b = scheduler("node-b", f.ledger.wrapAuto("node-b", f.autoRedelivery), LEASE,
                                             f.retryAudit, Clock.systemUTC(), leasesOn(poolB));
            elapse(Duration.ofMinutes(1));

            assertThat(a.pollOnce()).isEqualTo(1);
            assertThat(f.leases.holder(lease)).as("a's lease is committed").contains(a.owner());
            String due = poisoned("M1", 1, Instant.now().minus(Duration.ofMinutes(1)));
            assertThat(b.pollOnce()).as("a holds the group").isZero();
            assertThat(a.pollOnce()).isEqualTo(1);
            assertThat(f.ledger.nodes(due)).containsExactly("node-a");

            a.releaseLeases();
            assertThat(f.leases.holder(lease)).as("a's release is committed").isEmpty();
        }
    }

    private static JdbcLeases leasesOn(HikariDataSource pool) {
        return new JdbcLeases(pool, new DataSourceTransactionManager(pool), PREFIX);
    }

    @Test
    void runningSchedulersNeverRedeliverAGroupAtTheSameTimeAndAStoppedOneHandsOver() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            keys.add(poisoned("R" + i, 1, t0));
        }
        AutoRetryScheduler.Redelivery slowA = f.ledger.wrapAuto("node-a", f.autoRedelivery,
                                                                 (node, key) -> Thread.sleep(20));
        AutoRetryScheduler.Redelivery slowB = f.ledger.wrapAuto("node-b", f.autoRedelivery,
                                                                 (node, key) -> Thread.sleep(20));
        AutoRetryScheduler a = scheduler("node-a", slowA);
        AutoRetryScheduler b = scheduler("node-b", slowB);
        elapse(Duration.ofMinutes(1));

        workers.get(a).start();
        workers.get(b).start();
        await().atMost(Duration.ofSeconds(30))
               .until(() -> keys.stream().allMatch(k -> state(a, k).map(AutomaticRetryState::retries).orElse(0) == 1));

        assertThat(f.ledger.maxInFlight()).isEqualTo(1);
        Set<String> firstRound = new HashSet<>();
        keys.forEach(k -> firstRound.addAll(f.ledger.nodes(k)));
        assertThat(firstRound).as("one node did the whole round").hasSize(1);
        String worker = firstRound.iterator().next();
        AutoRetryScheduler working = worker.equals("node-a") ? a : b;
        String otherNode = worker.equals("node-a") ? "node-b" : "node-a";

        // The worker stops and gives the lease back: the other takes over at once.
        workers.get(working).stop();
        elapse(Duration.ofMinutes(5));
        await().atMost(Duration.ofSeconds(30))
               .until(() -> keys.stream().allMatch(k -> state(a, k).map(AutomaticRetryState::retries).orElse(0) == 2));
        for (String key : keys) {
            assertThat(f.ledger.nodes(key)).containsExactly(worker, otherNode);
        }
        assertThat(f.ledger.maxInFlight()).isEqualTo(1);
        assertThat(autoRetryAudit()).hasSize(12).extracting(AuditEntry::actor)
                                    .containsOnly(RetryJobRunner.SYSTEM_ACTOR);
    }
}
