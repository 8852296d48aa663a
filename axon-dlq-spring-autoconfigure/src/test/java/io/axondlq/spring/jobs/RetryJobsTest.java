package io.axondlq.spring.jobs;

import com.zaxxer.hikari.HikariDataSource;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.Page;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.jobs.InvalidRetryJobRequestException;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJob.SequenceOutcome;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.jobs.JobWorker;
import io.axondlq.core.jobs.RetryJobProgress;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.jobs.RetryJobs.Created;
import io.axondlq.core.jobs.RetryJobs.IdempotencyConflictException;
import io.axondlq.core.jobs.RetryJobs.JobAlreadyRunningException;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.jdbc.jobs.DatabaseClock;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.jobs.JdbcRetryJobProgress;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.spring.MutableClock;
import io.axondlq.spring.jobs.RetryJobFixture.Node;
import io.axondlq.spring.jobs.RetryJobFixture.Processed;
import io.axondlq.core.jobs.Leases;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.testsupport.LockWaits;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import org.axonframework.eventhandling.EventProcessor;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;

import static io.axondlq.spring.jobs.RetryJobFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

/**
 * Bulk retry jobs against a real database and a real Axon processing group: snapshot, batches and cooldown,
 * idempotency, one running job per group (also under a race), stop, two nodes on one job, a node dying mid-batch,
 * outcomes and counters, failures, audit and listing. Subclasses pick the database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class RetryJobsTest {

    private static final String CAUSE = IllegalStateException.class.getName();

    @TestDataSource
    DataSource dataSource;

    RetryJobFixture f;

    @BeforeEach
    void start() {
        f = RetryJobFixture.start(dataSource);
    }

    @AfterEach
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    // --- snapshot -------------------------------------------------------------------------------------------------

    @Test
    void snapshotHoldsTheSequencesThatMatchedWhenTheJobStartedOldestFirst() {
        Instant base = Instant.now().minus(Duration.ofHours(1));
        String b = f.seed("B", 1, CAUSE, base.plusSeconds(1));
        String c = f.seed("C", 3, CAUSE, base.plusSeconds(2));
        String a = f.seed("A", 2, CAUSE, base.plusSeconds(3));

        Created created = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice");

        assertThat(created.created()).isTrue();
        assertThat(created.job().sequences()).as("create answers with the summary: bounded").isEmpty();
        RetryJob job = f.job(created.job().id());
        assertThat(job.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(job.total()).isEqualTo(3);
        assertThat(job.remaining()).isEqualTo(3);
        assertThat(job.createdBy()).isEqualTo("alice");
        assertThat(job.sequences()).extracting(SequenceOutcome::sequenceKey).containsExactly(b, c, a);
        assertThat(job.sequences()).extracting(SequenceOutcome::outcome).containsOnly("PENDING");

        // Parked after the job started, by the live processor: not part of the job.
        String late = f.parkLive("LATE");
        f.runner("node-1");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(done.sequences()).extracting(SequenceOutcome::sequenceKey).containsExactly(b, c, a);
        assertThat(done.sequences()).extracting(SequenceOutcome::outcome).containsOnly("DRAINED");
        assertThat(done.sequences()).extracting(SequenceOutcome::redelivered).containsExactly(1, 3, 2);
        assertThat(done.succeeded()).isEqualTo(3);
        assertThat(done.remaining()).isZero();
        assertThat(f.handler.handled).containsExactlyInAnyOrder("B#0", "C#0", "C#1", "C#2", "A#0", "A#1");
        assertThat(f.store.contains(GROUP, late)).isTrue();
        assertThat(f.ledger.nodes(late)).isEmpty();
        assertThat(f.jobs.activeJob(GROUP)).isEmpty();
    }

    @ParameterizedTest(name = "snapshot in database: {0}")
    @ValueSource(booleans = {true, false})
    void snapshotAppliesTheFilterAndMaxSequences(boolean snapshotInDatabase) {
        // false: the store's default, paging through its API, instead of the JDBC store's one query
        DeadLetterStore store = snapshotInDatabase ? f.store : throughApi(f.store);
        JdbcRetryJobs jobs = new JdbcRetryJobs(dataSource, f.transactions, RetryJobFixture.PREFIX, store, f.leases,
                                               f.retryAudit, JdbcRetryJobs.DEFAULT_IDEMPOTENCY_KEY_TTL,
                                               Clock.systemUTC());
        Instant base = Instant.parse("2030-01-01T00:00:00Z");
        String other = IllegalArgumentException.class.getName();
        String s1 = f.seed("S1", 1, CAUSE, base);
        String s2 = f.seed("S2", 2, other, base.plusSeconds(10));
        String s3 = f.seed("S3", 1, CAUSE, base.plusSeconds(20));
        String s4 = f.seed("S4", 1, other, base.plusSeconds(30));
        String s5 = f.seed("S5", 1, CAUSE, base.plusSeconds(40));
        f.seed("elsewhere", "S6", 1, CAUSE, base);

        assertThat(snapshot(jobs, new RetryJobRequest(GROUP, CAUSE, null, null, null, 1, Duration.ZERO, 100)))
                .containsExactlyInAnyOrder(s1, s3, s5);
        assertThat(snapshot(jobs, new RetryJobRequest(GROUP, null, null, base.plusSeconds(10), base.plusSeconds(31),
                                                      1, Duration.ZERO, 100)))
                .containsExactlyInAnyOrder(s2, s3, s4);
        assertThat(snapshot(jobs, new RetryJobRequest(GROUP, other, null, base.plusSeconds(15), null,
                                                      1, Duration.ZERO, 100)))
                .containsExactly(s4);
        assertThat(snapshot(jobs, new RetryJobRequest(GROUP, null, ThingChanged.class.getName(), null, null,
                                                      1, Duration.ZERO, 100)))
                .containsExactlyInAnyOrder(s1, s2, s3, s4, s5);
        assertThat(snapshot(jobs, new RetryJobRequest(GROUP, null, "com.example.Other", null, null,
                                                      1, Duration.ZERO, 100)))
                .isEmpty();
        assertThat(snapshot(jobs, new RetryJobRequest(GROUP, CAUSE, null, null, null, 1, Duration.ZERO, 2)))
                .hasSize(2).isSubsetOf(s1, s3, s5);
        assertThat(snapshot(jobs, f.request(1, Duration.ZERO, 3))).hasSize(3);
    }

    /** Creates the job, reads its snapshot, and stops it so that the group is free for the next one. */
    private List<String> snapshot(JdbcRetryJobs jobs, RetryJobRequest request) {
        RetryJob job = jobs.find(jobs.create(request, null, "alice").job().id()).orElseThrow();
        jobs.stop(job.id(), "alice");
        assertThat(job.total()).isEqualTo(job.sequences().size());
        if (job.total() == 0) {
            assertThat(job.state()).as("nothing to do: done at once").isEqualTo(RetryJob.State.COMPLETED);
        }
        return job.sequences().stream().map(SequenceOutcome::sequenceKey).toList();
    }

    // --- batches --------------------------------------------------------------------------------------------------

    @Test
    void runsBatchSizeSequencesPerBatchWithTheCooldownBetweenBatches() {
        List<String> keys = f.seedMany("T", 7);
        Duration cooldown = Duration.ofMillis(400);
        RetryJob job = f.jobs.create(f.request(3, cooldown, 100), null, "alice").job();

        f.runner("node-1");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(done.succeeded()).isEqualTo(7);
        List<Processed> processed = f.processed(job.id());
        assertThat(processed).extracting(Processed::sequenceKey).containsExactlyElementsOf(keys);
        Map<Integer, List<Processed>> batches = processed.stream().collect(
                Collectors.groupingBy(Processed::batch, java.util.TreeMap::new, Collectors.toList()));
        assertThat(batches.values()).extracting(List::size).containsExactly(3, 3, 1);
        List<List<Processed>> ordered = new ArrayList<>(batches.values());
        for (int i = 1; i < ordered.size(); i++) {
            Instant previousEnd = ordered.get(i - 1).get(ordered.get(i - 1).size() - 1).finishedAt();
            Instant nextStart = ordered.get(i).get(0).finishedAt();
            assertThat(Duration.between(previousEnd, nextStart))
                    .as("gap between batch %d and %d", i, i + 1).isGreaterThanOrEqualTo(cooldown);
        }
        for (int i = 1; i < processed.size(); i++) {
            assertThat(processed.get(i).finishedAt()).isAfterOrEqualTo(processed.get(i - 1).finishedAt());
        }
    }

    // --- requests the database cannot take -----------------------------------------------------------------------

    /**
     * What Bean Validation refuses at the REST API, the core refuses too, before anything is written: an application
     * without a validation provider, or one that calls {@link RetryJobs#create} itself, got a database error from the
     * snapshot query (PostgreSQL: "invalid byte sequence for encoding UTF8: 0x00") or a job no letter can match.
     */
    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("requestsTheDatabaseCannotTake")
    void aRequestTheDatabaseCannotTakeIsRefusedTypedAndWritesNothing(String member, RetryJobRequest request,
                                                                     String problem) {
        f.seed("N", 1, CAUSE, Instant.now().minusSeconds(60));
        Map<String, Long> before = jobRows();

        assertThatThrownBy(() -> f.jobs.create(request, "key-n", "alice"))
                .isInstanceOfSatisfying(InvalidRetryJobRequestException.class, e -> {
                    assertThat(e.member()).isEqualTo(member);
                    assertThat(e.problem()).startsWith(problem);
                });

        assertThat(jobRows()).as("no job, no snapshot, no audit entry").isEqualTo(before);
        assertThat(f.jobs.activeJob(GROUP)).isEmpty();
        assertThat(f.jobs.create(f.request(1, Duration.ZERO, 10), "key-n", "alice").created())
                .as("the key was not taken").isTrue();
        assertThat(f.auditEntries(RetryJobAudit.CREATE)).filteredOn(e -> e.outcome().equals("success"))
                .singleElement().extracting(AuditEntry::detail).isEqualTo("1 sequence in the snapshot");
    }

    static Stream<Arguments> requestsTheDatabaseCannotTake() {
        String nul = "must not contain NUL characters";
        String tooLong = "must be at most ";
        String years = "must be between 0001-01-01T00:00:00Z";
        Instant late = Instant.parse("+10000-01-01T00:00:00Z");
        return Stream.of(
                Arguments.of("causeType", filter(GROUP, CAUSE + "\u0000", null, null), nul),
                Arguments.of("payloadType", filter(GROUP, null, "\u0000com.acme.Thing", null), nul),
                Arguments.of("causeType", filter(GROUP, "x".repeat(513), null, null), tooLong + "512"),
                Arguments.of("payloadType", filter(GROUP, null, "y".repeat(513), null), tooLong + "512"),
                Arguments.of("processingGroup", filter(GROUP + "\u0000", null, null, null), nul),
                Arguments.of("processingGroup", filter("g".repeat(256), null, null, null), tooLong + "255"),
                Arguments.of("to", filter(GROUP, null, null, late), years));
    }

    private static RetryJobRequest filter(String group, String causeType, String payloadType, Instant to) {
        return new RetryJobRequest(group, causeType, payloadType, null, to, 1, Duration.ZERO, 10);
    }

    @Test
    void theRequestsOwnRangesAreRefusedNamingTheMember() {
        assertThatThrownBy(() -> new RetryJobRequest(GROUP, null, null, null, null, 0, Duration.ZERO, 10))
                .isInstanceOfSatisfying(InvalidRetryJobRequestException.class,
                                        e -> assertThat(e.member()).isEqualTo("batchSize"));
        assertThatThrownBy(() -> new RetryJobRequest(" ", null, null, null, null, 1, Duration.ZERO, 10))
                .isInstanceOfSatisfying(InvalidRetryJobRequestException.class,
                                        e -> assertThat(e.member()).isEqualTo("processingGroup"));
        assertThatThrownBy(() -> new RetryJobRequest(GROUP, null, null, null, null, 1, Duration.ofHours(2), 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cooldown must be between 0 and 1 hour");
        // the longest values the columns hold are fine
        RetryJobRequest longest = new RetryJobRequest("g".repeat(255), "x".repeat(512), "y".repeat(512),
                                                      Instant.parse("0001-01-01T00:00:00Z"),
                                                      Instant.parse("9999-12-31T23:59:59Z"), 1, Duration.ZERO, 10);
        assertThat(longest.requireCreatable()).isSameAs(longest);
    }

    private Map<String, Long> jobRows() {
        Map<String, Long> rows = new java.util.LinkedHashMap<>();
        for (String table : List.of("retry_job", "retry_job_sequence", "audit")) {
            rows.put(table, f.jdbc.queryForObject("SELECT COUNT(*) FROM " + RetryJobFixture.PREFIX + table,
                                                  Long.class));
        }
        return rows;
    }

    // --- idempotency ----------------------------------------------------------------------------------------------

    @Test
    void sameIdempotencyKeyAndSameRequestReturnTheSameJob() {
        f.seedMany("I", 2);
        RetryJobRequest request = new RetryJobRequest(GROUP, CAUSE, null, Instant.parse("2020-01-01T00:00:00Z"),
                                                      null, 5, Duration.ofSeconds(2), 50);
        Created first = f.jobs.create(request, "key-1", "alice");
        // An equal request built independently (same values, e.g. another JSON spelling of the same body).
        RetryJobRequest same = new RetryJobRequest(GROUP, CAUSE, null,
                                                   Instant.parse("2020-01-01T01:00:00+01:00"), null, 5,
                                                   Duration.ofMillis(2000), 50);
        Created second = f.jobs.create(same, "key-1", "bob");

        assertThat(first.created()).isTrue();
        assertThat(second.created()).isFalse();
        assertThat(second.job().id()).isEqualTo(first.job().id());
        assertThat(second.job().createdBy()).isEqualTo("alice");
        assertThat(f.jobs.list(10, null).items()).hasSize(1);

        // Still the same job once it has finished.
        f.runner("node-1");
        f.awaitState(first.job().id(), RetryJob.State.COMPLETED);
        Created replay = f.jobs.create(same, "key-1", "bob");
        assertThat(replay.created()).isFalse();
        assertThat(replay.job().id()).isEqualTo(first.job().id());
        assertThat(replay.job().state()).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(f.auditEntries(RetryJobAudit.CREATE)).hasSize(1);
    }

    @Test
    void anIdempotencyKeyIsScopedToItsProcessingGroupAndExpires() {
        MutableClock clock = new MutableClock(Instant.now());
        JdbcRetryJobs jobs = new JdbcRetryJobs(dataSource, f.transactions, RetryJobFixture.PREFIX, f.store, f.leases,
                                               f.retryAudit, Duration.ofHours(1), clock);
        // Matches nothing: each job is COMPLETED at once, so the group is free for the next one.
        RetryJobRequest nothing = new RetryJobRequest(GROUP, null, "com.example.Nothing", null, null, 5,
                                                      Duration.ZERO, 50);
        RetryJobRequest otherGroup = new RetryJobRequest("other-group", null, "com.example.Nothing", null, null, 5,
                                                         Duration.ZERO, 50);
        Created first = jobs.create(nothing, "key-3", "alice");

        Created elsewhere = jobs.create(otherGroup, "key-3", "bob");
        assertThat(elsewhere.created()).as("same key, other group: another job").isTrue();
        assertThat(elsewhere.job().id()).isNotEqualTo(first.job().id());

        clock.advance(Duration.ofMinutes(59));
        assertThat(jobs.create(nothing, "key-3", "carol").job().id()).as("within the time to live")
                                                                      .isEqualTo(first.job().id());
        clock.advance(Duration.ofMinutes(2));
        Created afterExpiry = jobs.create(nothing, "key-3", "carol");
        assertThat(afterExpiry.created()).as("expired: the key names a new job").isTrue();
        assertThat(afterExpiry.job().id()).isNotEqualTo(first.job().id());
        assertThat(jobs.create(nothing, "key-3", "dave").job().id()).isEqualTo(afterExpiry.job().id());
        assertThat(jobs.summary(first.job().id())).as("the old job stays").isPresent();
    }

    @Test
    void sameIdempotencyKeyWithADifferentRequestIsAConflict() {
        f.seedMany("I", 2);
        Created first = f.jobs.create(f.request(5, Duration.ZERO, 50), "key-2", "alice");

        assertThatThrownBy(() -> f.jobs.create(f.request(6, Duration.ZERO, 50), "key-2", "bob"))
                .isInstanceOf(IdempotencyConflictException.class)
                .hasMessageContaining("key-2");

        assertThat(f.jobs.list(10, null).items()).extracting(RetryJob::id).containsExactly(first.job().id());
        List<AuditEntry> creates = f.auditEntries(RetryJobAudit.CREATE);
        assertThat(creates).extracting(AuditEntry::outcome).containsExactly("success", "rejected");
        assertThat(creates.get(1).actor()).isEqualTo("bob");
        assertThat(creates.get(1).parameters()).contains("\"idempotencyKey\":\"key-2\"").contains("\"batchSize\":6");
    }

    // --- one running job per group --------------------------------------------------------------------------------

    @Test
    void aGroupHasAtMostOneRunningJob() {
        f.seedMany("R", 3);
        f.seed("other-group", "X", 1, CAUSE, Instant.now());
        RetryJob running = f.jobs.create(f.request(1, Duration.ofMinutes(10), 100), null, "alice").job();

        assertThatThrownBy(() -> f.jobs.create(f.request(2, Duration.ZERO, 100), "another-key", "bob"))
                .isInstanceOfSatisfying(JobAlreadyRunningException.class,
                                        e -> assertThat(e.runningJob()).isEqualTo(running.id()));
        assertThat(f.jobs.activeJob(GROUP)).map(RetryJob::id).contains(running.id());

        // Other groups are independent.
        Created other = f.jobs.create(new RetryJobRequest("other-group", null, null, null, null, 1, Duration.ZERO,
                                                          10), null, "bob");
        assertThat(other.created()).isTrue();

        // Once the running job ends, the group takes a new one.
        f.jobs.stop(running.id(), "alice");
        Created next = f.jobs.create(f.request(2, Duration.ZERO, 100), null, "bob");
        assertThat(next.created()).isTrue();
        assertThat(f.jobs.activeJob(GROUP)).map(RetryJob::id).contains(next.job().id());
    }

    @Test
    void twoConcurrentCreatesForOneGroupStartExactlyOneJob() throws Exception {
        f.seedMany("R", 3);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 10; round++) {
                CyclicBarrier barrier = new CyclicBarrier(2);
                List<Future<Object>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int batchSize = t + 1;
                    Callable<Object> create = () -> {
                        barrier.await(10, TimeUnit.SECONDS);
                        try {
                            return f.jobs.create(f.request(batchSize, Duration.ofMinutes(10), 100), null, "racer");
                        } catch (JobAlreadyRunningException e) {
                            return e;
                        }
                    };
                    results.add(threads.submit(create));
                }
                List<Object> outcomes = new ArrayList<>();
                for (Future<Object> result : results) {
                    outcomes.add(result.get(30, TimeUnit.SECONDS));
                }
                List<Created> created = outcomes.stream().filter(Created.class::isInstance).map(Created.class::cast)
                                                .toList();
                List<JobAlreadyRunningException> refused = outcomes.stream()
                                                                   .filter(JobAlreadyRunningException.class::isInstance)
                                                                   .map(JobAlreadyRunningException.class::cast)
                                                                   .toList();
                assertThat(created).as("round %d", round).hasSize(1);
                assertThat(refused).as("round %d", round).hasSize(1);
                assertThat(refused.get(0).runningJob()).isEqualTo(created.get(0).job().id());
                f.jobs.stop(created.get(0).job().id(), "racer");
            }
            assertThat(f.jobs.list(100, null).items()).hasSize(10)
                                                       .extracting(RetryJob::state)
                                                       .containsOnly(RetryJob.State.STOPPED);

            // The same idempotency key raced: both get the one job.
            for (int round = 0; round < 5; round++) {
                CyclicBarrier barrier = new CyclicBarrier(2);
                String key = "race-" + round;
                List<Future<Created>> results = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    results.add(threads.submit(() -> {
                        barrier.await(10, TimeUnit.SECONDS);
                        return f.jobs.create(f.request(1, Duration.ofMinutes(10), 100), key, "racer");
                    }));
                }
                Created one = results.get(0).get(30, TimeUnit.SECONDS);
                Created two = results.get(1).get(30, TimeUnit.SECONDS);
                assertThat(one.job().id()).isEqualTo(two.job().id());
                assertThat(List.of(one.created(), two.created())).containsExactlyInAnyOrder(true, false);
                f.jobs.stop(one.job().id(), "racer");
            }
        } finally {
            threads.shutdownNow();
        }
    }

    // --- stop -----------------------------------------------------------------------------------------------------

    @Test
    void stopBetweenBatchesStopsAtOnceWithSequencesRemaining() {
        f.seedMany("S", 6);
        RetryJob job = f.jobs.create(f.request(2, Duration.ofMinutes(30), 100), null, "alice").job();
        f.runner("node-1");
        await().atMost(Duration.ofSeconds(30)).until(() -> f.job(job.id()).succeeded() == 2
                && f.job(job.id()).owner() == null);

        f.jobs.stop(job.id(), "bob").orElseThrow();
        RetryJob stopped = f.job(job.id());

        assertThat(stopped.state()).isEqualTo(RetryJob.State.STOPPED);
        assertThat(stopped.stopRequested()).isTrue();
        assertThat(stopped.succeeded()).isEqualTo(2);
        assertThat(stopped.remaining()).isEqualTo(4);
        assertThat(stopped.sequences()).extracting(SequenceOutcome::outcome)
                                       .containsExactly("DRAINED", "DRAINED", "PENDING", "PENDING", "PENDING",
                                                        "PENDING");
        assertThat(f.jobs.activeJob(GROUP)).isEmpty();
        assertThat(f.store.sequenceCount(GROUP)).isEqualTo(4);

        // Stopping a finished job changes nothing.
        assertThat(f.jobs.stop(job.id(), "bob")).contains(f.job(job.id()).withoutSequences());
        assertThat(f.jobs.stop(UUID.randomUUID(), "bob")).isEmpty();

        List<AuditEntry> stops = f.auditEntries(RetryJobAudit.STOP);
        assertThat(stops).hasSize(1);
        assertThat(stops.get(0).actor()).isEqualTo("bob");
        assertThat(stops.get(0).target()).isEqualTo(job.id().toString());
        List<AuditEntry> finished = f.auditEntries(RetryJobAudit.FINISH);
        assertThat(finished).hasSize(1);
        assertThat(finished.get(0).detail()).startsWith("STOPPED");
        assertThat(finished.get(0).actor()).isEqualTo(RetryJobRunner.SYSTEM_ACTOR);
    }

    @Test
    void stopDuringABatchStopsAfterTheCurrentSequence() throws Exception {
        List<String> keys = f.seedMany("S", 5);
        CountDownLatch inSecond = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RetryJob job = f.jobs.create(f.request(5, Duration.ZERO, 100), null, "alice").job();
        f.runner("node-1", f.settings(Duration.ofSeconds(10)), (node, key) -> {
            if (key.equals(keys.get(1))) {
                inSecond.countDown();
                release.await(30, TimeUnit.SECONDS);
            }
        });
        assertThat(inSecond.await(30, TimeUnit.SECONDS)).isTrue();

        RetryJob asked = f.jobs.stop(job.id(), "bob").orElseThrow();
        assertThat(asked.state()).as("a node is working on it").isEqualTo(RetryJob.State.RUNNING);
        assertThat(asked.stopRequested()).isTrue();
        release.countDown();

        RetryJob stopped = f.awaitState(job.id(), RetryJob.State.STOPPED);
        assertThat(stopped.succeeded()).isEqualTo(2);
        assertThat(stopped.remaining()).isEqualTo(3);
        assertThat(f.ledger.nodes(keys.get(2))).isEmpty();
        assertThat(f.auditEntries(RetryJobAudit.STOP)).extracting(AuditEntry::detail)
                                                      .singleElement().asString().startsWith("stop requested");
    }

    // --- nodes ----------------------------------------------------------------------------------------------------

    @Test
    void twoNodesOnOneJobProcessEverySequenceExactlyOnce() {
        List<String> keys = f.seedMany("N", 24);
        RetryJob job = f.jobs.create(f.request(3, Duration.ZERO, 100), null, "alice").job();

        Node one = f.runner("node-1");
        Node two = f.runner("node-2");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(done.succeeded()).isEqualTo(24);
        assertThat(done.failed()).isZero();
        assertThat(done.skipped()).isZero();
        for (String key : keys) {
            assertThat(f.ledger.nodes(key)).as(key).hasSize(1);
        }
        assertThat(f.ledger.maxInFlight()).as("never two nodes at once").isEqualTo(1);
        assertThat(f.handler.handled).hasSize(24).doesNotHaveDuplicates();
        assertThat(f.store.size(GROUP)).isZero();
        Set<String> nodes = new HashSet<>();
        f.ledger.all().values().forEach(nodes::addAll);
        assertThat(nodes).isSubsetOf("node-1", "node-2");
        assertThat(one.owner()).startsWith("node-1/");
        assertThat(two.owner()).startsWith("node-2/");
        assertThat(f.auditEntries(RetryJobAudit.FINISH)).hasSize(1);
    }

    @Test
    void aJobWhoseNodeDiesMidBatchIsResumedByAnotherNodeOnceTheLeaseExpires() throws Exception {
        List<String> keys = f.seedMany("D", 6);
        CountDownLatch hung = new CountDownLatch(1);
        CountDownLatch revive = new CountDownLatch(1);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        RetryJobRunner.Settings shortLease = new RetryJobRunner.Settings(Duration.ofMillis(800),
                                                                         Duration.ofMillis(20),
                                                                         Duration.ofMillis(100));
        Node dying = f.runner("node-1", shortLease, (node, key) -> {
            if (node.equals("node-1") && key.equals(keys.get(2))) {
                hung.countDown();
                revive.await(60, TimeUnit.SECONDS);
            }
        });
        assertThat(hung.await(30, TimeUnit.SECONDS)).isTrue();
        // The node dies: no more polling, no more lease renewal; its thread is stuck in the third sequence.
        dying.die();
        assertThat(f.job(job.id()).owner()).startsWith("node-1/");

        f.runner("node-2", shortLease, (node, key) -> {
        });
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(done.succeeded()).isEqualTo(6);
        assertThat(f.ledger.nodes(keys.get(0))).containsExactly("node-1");
        assertThat(f.ledger.nodes(keys.get(1))).containsExactly("node-1");
        for (String key : keys.subList(2, 6)) {
            assertThat(f.ledger.nodes(key)).as(key).containsExactly("node-2");
        }

        // The dead node comes back to life mid-sequence: it finds nothing to redeliver and records nothing.
        dying.revive();
        revive.countDown();
        assertThat(dying.awaitTermination(Duration.ofSeconds(30))).isTrue();
        assertThat(f.ledger.nodes(keys.get(2))).containsExactly("node-2", "node-1");
        RetryJob after = f.job(job.id());
        assertThat(after.succeeded()).isEqualTo(6);
        assertThat(after.skipped()).isZero();
        assertThat(after.sequences()).extracting(SequenceOutcome::outcome).containsOnly("DRAINED");
        assertThat(f.handler.handled).hasSize(6).doesNotHaveDuplicates();
    }

    /**
     * A node pauses in a sequence's handler (it still holds that sequence's redelivery lease) long enough to lose its
     * job's lease, and another node takes the job over and finds that sequence held. The sequence is the first
     * node's: once its redelivery commits, its outcome counts; the job counts every sequence once, as what
     * happened to it. The second node, which read the sequence as pending and finds it recorded, goes on with the job
     * at once: it still holds the job (a lease far longer than the test), which only it can finish.
     */
    @Test
    void aSequenceStillBeingRedeliveredByANodeThatLostTheJobCountsWithThatNodesOutcome() throws Exception {
        List<String> keys = f.seedMany("K", 3);
        CountDownLatch letGo = new CountDownLatch(1);
        f.handler.paused.put("K1", letGo);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        RetryJobRunner.Settings shortLease = new RetryJobRunner.Settings(Duration.ofMillis(800),
                                                                         Duration.ofMillis(20),
                                                                         Duration.ofMillis(100));
        Node first = f.runner("node-1", shortLease, (node, key) -> {
        });
        CountDownLatch firstRecorded = new CountDownLatch(1);
        CountDownLatch secondTriesK1Again = new CountDownLatch(1);
        AtomicInteger triesOfK1BySecond = new AtomicInteger();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> f.handler.waiting.contains("K1"));
            // A long pause: node-1 renews no lease; its thread is in K1's handler, K1's redelivery lease still its own.
            first.die();
            f.runner("node-2", f.settings(Duration.ofMinutes(10)), (node, key) -> {
                // Tried again in a later batch only once node-1 has recorded it: between node-1's last letter and its
                // record node-2 would find K1 gone (the gap of the next test).
                if (key.equals(keys.get(1)) && triesOfK1BySecond.getAndIncrement() > 0) {
                    secondTriesK1Again.countDown();
                    firstRecorded.await(60, TimeUnit.SECONDS);
                }
            });
            // The interleaving: node-2 took the job over, found K1 held by node-1, went on with K2, and is back at K1.
            assertThat(secondTriesK1Again.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(f.handler.handled).contains("K2#0").as("K1 still in node-1's handler").doesNotContain("K1#0");
        } finally {
            first.revive();
            letGo.countDown();
        }
        boolean firstEnded = first.awaitTermination(Duration.ofSeconds(30));
        firstRecorded.countDown();
        assertThat(firstEnded).as("node-1 recorded K1").isTrue();
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(f.handler.handled).containsExactlyInAnyOrder("K0#0", "K1#0", "K2#0");
        assertThat(f.ledger.nodes(keys.get(0))).containsExactly("node-1");
        assertThat(f.ledger.nodes(keys.get(1))).startsWith("node-1", "node-2");
        assertThat(done.sequences()).extracting(SequenceOutcome::outcome).containsOnly("DRAINED");
        assertThat(done.succeeded()).as("K1 was redelivered, by node-1").isEqualTo(3);
        assertThat(done.skipped()).isZero();
        assertThat(f.auditEntries(RetryJobAudit.SEQUENCE)).hasSize(3);
        assertThat(f.auditEntries(RetryJobAudit.FINISH)).singleElement().extracting(AuditEntry::detail)
                .isEqualTo("COMPLETED: 3 succeeded, 0 failed, 0 skipped, 0 remaining");
    }

    /**
     * The narrow end of the takeover above: the first node has redelivered the sequence's last letter (the sequence is
     * gone from the dead-letter queue) but not yet recorded its outcome when the node that took the job over reaches
     * the sequence, finds nothing left and records it as {@code NOT_FOUND}. What happened to the sequence is the first
     * node's drain: the job records it DRAINED and counts it as succeeded, not skipped. The first node is held between
     * its redelivery and its record, and the second in its next sequence until the first has recorded, so the
     * interleaving happens in every run (and the job is still running when the first node records).
     */
    @Test
    void aSequenceDrainedByANodeThatLostTheJobBeforeItRecordedCountsAsDrainedNotSkipped() throws Exception {
        List<String> keys = f.seedMany("N", 3);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        CountDownLatch firstRecords = new CountDownLatch(1);
        Node first = firstNodeDiedAfterDraining(keys.get(1), firstRecords);
        CountDownLatch secondAtNext = new CountDownLatch(1);
        CountDownLatch secondGoesOn = new CountDownLatch(1);
        try {
            f.runner("node-2", TAKEOVER_LEASE, (node, key) -> {
                if (key.equals(keys.get(2))) {
                    secondAtNext.countDown();
                    secondGoesOn.await(60, TimeUnit.SECONDS);
                }
            });
            // The interleaving: node-2 took the job over and reached N1 after node-1's drain, before node-1's record.
            assertThat(secondAtNext.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(f.ledger.nodes(keys.get(1))).containsExactly("node-1", "node-2");
            assertThat(f.processed(job.id())).filteredOn(p -> p.sequenceKey().equals(keys.get(1)))
                                             .extracting(Processed::outcome).as("node-2 found N1 gone")
                                             .containsExactly("NOT_FOUND");
            assertThat(f.job(job.id()).state()).isEqualTo(RetryJob.State.RUNNING);

            first.revive();
            firstRecords.countDown();
            assertThat(first.awaitTermination(Duration.ofSeconds(30))).as("node-1 recorded N1").isTrue();
        } finally {
            first.revive();
            firstRecords.countDown();
            secondGoesOn.countDown();
        }
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(f.handler.handled).containsExactlyInAnyOrder("N0#0", "N1#0", "N2#0");
        assertThat(done.sequences()).as("N1 was drained, by node-1")
                                    .extracting(SequenceOutcome::sequenceKey, SequenceOutcome::outcome)
                                    .containsExactly(tuple(keys.get(0), "DRAINED"),
                                                     tuple(keys.get(1), "DRAINED"),
                                                     tuple(keys.get(2), "DRAINED"));
        assertThat(done.succeeded()).isEqualTo(3);
        assertThat(done.skipped()).isZero();
        assertThat(f.auditEntries(RetryJobAudit.FINISH)).singleElement().extracting(AuditEntry::detail)
                .isEqualTo("COMPLETED: 3 succeeded, 0 failed, 0 skipped, 0 remaining");
    }

    /**
     * The same, when the sequence was the job's last: the node that took the job over finds it empty, records it
     * {@code NOT_FOUND} and ends the job before the first node records its drain. The drain still replaces that record
     * and its skip; the job's finish entry in the audit log stays as it was written, followed by the drain's.
     */
    @Test
    void aLastSequenceDrainedByANodeThatLostTheJobCountsAsDrainedAfterTheJobEnded() throws Exception {
        List<String> keys = f.seedMany("L", 2);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        CountDownLatch firstRecords = new CountDownLatch(1);
        Node first = firstNodeDiedAfterDraining(keys.get(1), firstRecords);
        try {
            f.runner("node-2", TAKEOVER_LEASE, (node, key) -> {
            });
            // The interleaving: node-2 took the job over, found L1 gone and ended the job before node-1's record.
            RetryJob ended = f.awaitState(job.id(), RetryJob.State.COMPLETED);
            assertThat(f.ledger.nodes(keys.get(1))).containsExactly("node-1", "node-2");
            assertThat(ended.sequences()).extracting(SequenceOutcome::outcome).containsExactly("DRAINED", "NOT_FOUND");
            assertThat(ended.skipped()).isEqualTo(1);

            first.revive();
            firstRecords.countDown();
            assertThat(first.awaitTermination(Duration.ofSeconds(30))).as("node-1 recorded L1").isTrue();
        } finally {
            first.revive();
            firstRecords.countDown();
        }
        RetryJob done = f.job(job.id());

        assertThat(done.state()).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(done.sequences()).as("L1 was drained, by node-1")
                                    .extracting(SequenceOutcome::sequenceKey, SequenceOutcome::outcome)
                                    .containsExactly(tuple(keys.get(0), "DRAINED"), tuple(keys.get(1), "DRAINED"));
        assertThat(done.succeeded()).isEqualTo(2);
        assertThat(done.skipped()).isZero();
        assertThat(f.auditEntries(RetryJobAudit.FINISH)).singleElement().extracting(AuditEntry::detail)
                .isEqualTo("COMPLETED: 1 succeeded, 0 failed, 1 skipped, 0 remaining");
        assertThat(f.auditEntries(RetryJobAudit.SEQUENCE)).hasSize(3);
    }

    /** Leases short enough for a job to pass to another node within the takeover tests. */
    private static final RetryJobRunner.Settings TAKEOVER_LEASE =
            new RetryJobRunner.Settings(Duration.ofMillis(800), Duration.ofMillis(20), Duration.ofMillis(100));

    /**
     * Starts node-1 on the job, holds it after it drained {@code key} and before it records that (until
     * {@code records}), and makes it die there, so that its lease on the job runs out.
     */
    private Node firstNodeDiedAfterDraining(String key, CountDownLatch records) throws InterruptedException {
        CountDownLatch drained = new CountDownLatch(1);
        Node first = f.runnerThrough("node-1", TAKEOVER_LEASE, heldAfter(key, drained, records));
        assertThat(drained.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(f.store.contains(GROUP, key)).as("node-1 drained " + key).isFalse();
        first.die();
        return first;
    }

    /**
     * The fixture's job redelivery, whose redelivery of {@code heldKey} signals {@code redelivered} once it has
     * returned and then waits for {@code goOn}, before the runner records its outcome.
     */
    private RetryJobRunner.Redelivery heldAfter(String heldKey, CountDownLatch redelivered, CountDownLatch goOn) {
        return new RetryJobRunner.Redelivery() {
            @Override
            public RedeliveryResult redeliver(String group, String key) {
                throw new AssertionError("the runner passes its stop check");
            }

            @Override
            public RedeliveryResult redeliver(String group, String key, BooleanSupplier stopRequested) {
                RedeliveryResult result = f.jobRedelivery.redeliver(group, key, stopRequested);
                if (key.equals(heldKey)) {
                    redelivered.countDown();
                    await().atMost(Duration.ofSeconds(60)).until(() -> goOn.getCount() == 0);
                }
                return result;
            }
        };
    }

    /**
     * A stop that times out mid-sequence: the node keeps the job (its lease renewed) while it finishes the sequence, so
     * no other node works the job at the same time, and gives it back as soon as the sequence ends.
     */
    @Test
    void aNodeWhoseStopTimesOutKeepsTheJobUntilItsSequenceEndsThenGivesItBack() throws Exception {
        List<String> keys = f.seedMany("T", 5);
        CountDownLatch hung = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        Duration lease = Duration.ofMillis(600);
        RetryJobRunner.Settings shortLease = new RetryJobRunner.Settings(lease, Duration.ofMillis(20),
                                                                         Duration.ofMillis(100));
        Node stopping = f.runner("node-1", shortLease, (node, key) -> {
            if (key.equals(keys.get(1))) {
                hung.countDown();
                finish.await(60, TimeUnit.SECONDS);
            }
        });
        assertThat(hung.await(30, TimeUnit.SECONDS)).isTrue();
        stopping.stop();
        assertThat(stopping.awaitTermination(Duration.ZERO)).as("the stop timed out mid-sequence").isFalse();

        Node other = f.runner("node-2", shortLease, (node, key) -> {
        });
        // Three leases long, node-2 polling all along, node-1 still in the second sequence.
        Thread.sleep(lease.multipliedBy(3).toMillis());
        assertThat(other.isRunning()).isTrue();
        assertThat(stopping.awaitTermination(Duration.ZERO)).as("node-1 is still in its sequence").isFalse();
        assertThat(f.job(job.id()).owner()).as("the job is still node-1's").startsWith("node-1/");
        keys.subList(1, 5).forEach(key -> assertThat(f.ledger.nodes(key)).as(key).doesNotContain("node-2"));

        finish.countDown();
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);
        assertThat(done.succeeded()).isEqualTo(5);
        assertThat(f.ledger.nodes(keys.get(1))).containsExactly("node-1");
        for (String key : keys.subList(2, 5)) {
            assertThat(f.ledger.nodes(key)).as("taken over once node-1's sequence ended: " + key)
                                           .containsExactly("node-2");
        }
        assertThat(f.ledger.maxInFlight()).as("never two nodes at once").isEqualTo(1);
        assertThat(f.handler.handled).hasSize(5).doesNotHaveDuplicates();
    }

    /**
     * A node whose pool does not auto-commit: the heartbeat between sequences renews the job's lease outside any
     * transaction of the runner's, and must still commit; lost, another node would take the job over half-way.
     */
    @Test
    void aRunningJobsHeartbeatCommitsOnAPoolThatDoesNotAutoCommit() {
        f.seed("H", 1, CAUSE, Instant.now().minus(Duration.ofHours(1)));
        UUID jobId = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job().id();
        DatabaseClock clock = new DatabaseClock(dataSource);
        String owner = JobWorker.ownerName("node-m");
        String lease = RetryJobProgress.leaseName(jobId);
        try (HikariDataSource manualCommit = f.manualCommitPool()) {
            PlatformTransactionManager transactions = new DataSourceTransactionManager(manualCommit);
            JdbcRetryJobProgress progress = new JdbcRetryJobProgress(
                    manualCommit, transactions, RetryJobFixture.PREFIX,
                    new JdbcLeases(manualCommit, transactions, RetryJobFixture.PREFIX), RetryJobAudit.NONE);
            assertThat(progress.claim(jobId, owner, clock.instant(), Duration.ofMinutes(1))).isPresent();
            assertThat(f.leases.holder(lease)).as("the claim's lease is committed").contains(owner);

            assertThat(progress.renew(jobId, owner, Duration.ofHours(1))).isTrue();

            OffsetDateTime until = f.jdbc.queryForObject("SELECT lease_until FROM " + RetryJobFixture.PREFIX
                                                                 + "scheduler_lease WHERE name = ?",
                                                         OffsetDateTime.class, lease);
            assertThat(until.toInstant()).as("the heartbeat is committed")
                                         .isAfter(clock.instant().plus(Duration.ofMinutes(30)));
        }
    }

    /**
     * A node whose job lease ran out (a long pause) ends its batch while another node claims the job. The claim takes
     * the lease row and then the job row; ending a batch must take them in the same order, or each waits for the
     * other's row: a deadlock, which the database breaks by failing one of them. The claiming node is held between
     * its two rows until the ending node is seen waiting for a lock, so the race happens in every run.
     */
    @Test
    void aClaimAndTheEndOfAnExpiredHoldersBatchDoNotDeadlock() throws Exception {
        f.seed("D", 1, CAUSE, Instant.now().minus(Duration.ofHours(1)));
        UUID jobId = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job().id();
        DatabaseClock clock = new DatabaseClock(dataSource);
        String a = JobWorker.ownerName("node-a");
        String b = JobWorker.ownerName("node-b");
        CountDownLatch leaseTaken = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        Leases pausingAfterAcquire = new Leases() {
            @Override
            public boolean acquire(String name, String owner, Duration ttl) {
                boolean acquired = f.leases.acquire(name, owner, ttl);
                leaseTaken.countDown();
                try {
                    goOn.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return acquired;
            }

            @Override
            public boolean renew(String name, String owner, Duration ttl) {
                return f.leases.renew(name, owner, ttl);
            }

            @Override
            public void release(String name, String owner) {
                f.leases.release(name, owner);
            }

            @Override
            public Optional<String> holder(String name) {
                return f.leases.holder(name);
            }
        };
        JdbcRetryJobProgress nodeA = new JdbcRetryJobProgress(dataSource, f.transactions, RetryJobFixture.PREFIX,
                                                              f.leases, RetryJobAudit.NONE);
        JdbcRetryJobProgress nodeB = new JdbcRetryJobProgress(dataSource, f.transactions, RetryJobFixture.PREFIX,
                                                              pausingAfterAcquire, RetryJobAudit.NONE);
        assertThat(nodeA.claim(jobId, a, clock.instant(), Duration.ofMillis(50))).isPresent();
        Instant expired = clock.instant().plusMillis(100);
        await().atMost(Duration.ofSeconds(10)).until(() -> clock.instant().isAfter(expired));

        ExecutorService executor = Executors.newFixedThreadPool(2);
        try {
            Future<Optional<RetryJobProgress.ClaimedJob>> claim =
                    executor.submit(() -> nodeB.claim(jobId, b, clock.instant(), Duration.ofMinutes(1)));
            assertThat(leaseTaken.await(30, TimeUnit.SECONDS)).as("node-b holds the lease row").isTrue();
            Future<Boolean> endBatch =
                    executor.submit(() -> nodeA.endBatch(jobId, a, clock.instant(), clock.instant()));
            LockWaits.awaitBlocked(dataSource, SqlDialect.detect(dataSource) == SqlDialect.POSTGRESQL
                    ? TestDatabase.POSTGRES : TestDatabase.H2, 1);
            goOn.countDown();

            assertThat(claim.get(60, TimeUnit.SECONDS)).as("node-b's claim").isPresent();
            assertThat(endBatch.get(60, TimeUnit.SECONDS)).as("node-a's end of batch: the job is node-b's").isFalse();
        } finally {
            goOn.countDown();
            executor.shutdownNow();
        }
        assertThat(f.job(jobId).owner()).isEqualTo(b);
        assertThat(f.leases.holder(RetryJobProgress.leaseName(jobId))).contains(b);
    }

    @Test
    void aJobResumesAfterItsNodeRestarts() throws Exception {
        List<String> keys = f.seedMany("P", 6);
        RetryJob job = f.jobs.create(f.request(2, Duration.ZERO, 100), null, "alice").job();
        CountDownLatch thirdStarted = new CountDownLatch(1);
        CountDownLatch stopping = new CountDownLatch(1);
        Node before = f.runner("node-1", f.settings(Duration.ofSeconds(30)), (node, key) -> {
            if (key.equals(keys.get(2))) {
                thirdStarted.countDown();
                stopping.await(30, TimeUnit.SECONDS);
            }
        });
        assertThat(thirdStarted.await(30, TimeUnit.SECONDS)).isTrue();

        // Shut down while the third sequence is being redelivered: it is finished, the lease given back.
        Thread shutdown = new Thread(before::stop);
        shutdown.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> !before.isRunning());
        stopping.countDown();
        shutdown.join(30_000);
        RetryJob paused = f.job(job.id());
        assertThat(paused.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(paused.owner()).as("lease given back").isNull();
        assertThat(paused.succeeded()).isEqualTo(3);

        // The node restarted (a new runner): it goes on at once.
        f.runner("node-1");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(done.succeeded()).isEqualTo(6);
        keys.forEach(key -> assertThat(f.ledger.nodes(key)).as(key).hasSize(1));
        assertThat(f.handler.handled).hasSize(6).doesNotHaveDuplicates();
    }

    /**
     * The application shuts down while a job redelivers a long sequence: the worker's stop ends the sequence after the
     * letter in progress, the rest of the sequence waits (PENDING, the job given back), and the restarted node goes on
     * where it stopped.
     */
    @Test
    void aShutdownMidSequenceStopsAfterTheLetterInProgressAndTheJobResumesWhereItStopped() throws Exception {
        StoppedMidSequence stopped = stopMidSequence("LONG", () -> {
        });
        String key = stopped.key();
        RetryJob job = stopped.job();

        assertThat(f.store.sequenceSize(GROUP, key)).as("letters left after the letter in progress").isEqualTo(17);
        assertThat(f.handler.handled).containsExactly("LONG#0", "LONG#1", "LONG#2");
        await().atMost(Duration.ofSeconds(30)).until(() -> f.job(job.id()).owner() == null);
        RetryJob paused = f.job(job.id());
        assertThat(paused.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(paused.sequences()).extracting(SequenceOutcome::outcome).containsExactly("PENDING");
        assertThat(paused.succeeded() + paused.failed() + paused.skipped()).isZero();
        assertThat(f.auditEntries(RetryJobAudit.SEQUENCE)).isEmpty();

        f.runner("node-1");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);
        assertThat(done.succeeded()).isEqualTo(1);
        assertThat(done.failed()).isZero();
        assertThat(f.handler.handled).hasSize(20).doesNotHaveDuplicates();
        assertThat(f.store.sequenceSize(GROUP, key)).isZero();
    }

    /**
     * The application shuts down while a job redelivers a long sequence, and the letter in progress fails because its
     * beans are being closed: that is no failure of the letter, so it keeps its attempts and no history row, the job
     * counts no failure and the sequence waits (PENDING) for the restart.
     */
    @Test
    void aHandlerThatFailsBecauseTheApplicationShutsDownIsNotAFailedAttemptOfItsLetter() throws Exception {
        // The context goes on closing after the worker's stop timeout: the handler's DataSource is gone.
        StoppedMidSequence stopped = stopMidSequence("CLOSING", () -> f.handler.contextClosed.set(true));
        f.handler.contextClosed.set(false);
        String key = stopped.key();
        RetryJob job = stopped.job();

        List<io.axondlq.core.store.StoredLetter> left = f.store.sequenceLetters(GROUP, key, -1, 100);
        assertThat(left).hasSize(18);
        io.axondlq.core.store.StoredLetter third = left.get(0);
        assertThat(f.handler.handled).containsExactly("CLOSING#0", "CLOSING#1");
        assertThat(third.attempts()).as("attempts of the letter the shutdown broke").isZero();
        assertThat(f.store.attempts(third.id())).as("attempt history of that letter").isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> f.job(job.id()).owner() == null);
        RetryJob paused = f.job(job.id());
        assertThat(paused.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(paused.sequences()).extracting(SequenceOutcome::outcome).containsExactly("PENDING");
        assertThat(paused.failed()).isZero();

        f.runner("node-1");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);
        assertThat(done.succeeded()).isEqualTo(1);
        assertThat(done.failed()).isZero();
    }

    /** A job over one sequence of 20 letters, and the node that ran it, stopped while its third letter was handled. */
    private record StoppedMidSequence(String key, RetryJob job) {
    }

    /**
     * Seeds {@code sequence} with 20 letters, runs a job over it on a node with a {@link #shortStop()}, and stops the
     * node while the third letter waits in its handler: the stop times out, {@code whileTheLetterWaits} runs, and the
     * letter's handler goes on until the node has ended.
     */
    private StoppedMidSequence stopMidSequence(String sequence, Runnable whileTheLetterWaits) throws Exception {
        String key = f.seed(sequence, 20, CAUSE, Instant.now().minus(Duration.ofHours(1)));
        CountDownLatch release = new CountDownLatch(1);
        f.handler.pausedEvents.put(sequence + "#2", release);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        Node node = f.runner("node-1", shortStop(), (n, k) -> {
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> f.handler.waitingEvents.contains(sequence + "#2"));

        node.stop();
        assertThat(node.awaitTermination(Duration.ZERO)).as("the stop timed out in the third letter").isFalse();
        whileTheLetterWaits.run();
        release.countDown();
        assertThat(node.awaitTermination(Duration.ofSeconds(60))).as("hang guard").isTrue();
        return new StoppedMidSequence(key, job);
    }

    /** A short stop timeout: the stop returns while the letter in progress still waits in its handler. */
    private static RetryJobRunner.Settings shortStop() {
        return new RetryJobRunner.Settings(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(200));
    }

    // --- outcomes -------------------------------------------------------------------------------------------------

    @Test
    void anOutcomeWhoseAuditEntryCannotBeWrittenIsNotRecorded() {
        String key = f.seed("AUDITED", 1, CAUSE, Instant.now().minus(Duration.ofHours(1)));
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        RetryJobAudit failing = new RetryJobAudit() {
            @Override
            public void sequenceProcessed(UUID jobId, String processingGroup, SequenceOutcome outcome) {
                throw new IllegalStateException("audit log unavailable");
            }
        };

        f.runner("node-1", f.settings(Duration.ofSeconds(10)), (node, k) -> {
        }, failing);
        RetryJob ended = f.awaitState(job.id(), RetryJob.State.FAILED);

        // Same transaction: without its audit entry the outcome is not recorded, nor counted.
        assertThat(ended.failure()).contains("audit log unavailable");
        assertThat(ended.sequences()).extracting(SequenceOutcome::outcome).containsExactly("PENDING");
        assertThat(ended.succeeded() + ended.failed() + ended.skipped()).isZero();
        assertThat(f.auditEntries(RetryJobAudit.SEQUENCE)).isEmpty();
        assertThat(f.ledger.nodes(key)).containsExactly("node-1");
    }

    @Test
    void countsAndRecordsEveryOutcome() {
        Instant base = Instant.now().minus(Duration.ofHours(1));
        String drained = f.seed("OK", 2, CAUSE, base);
        String failing = f.seed("BAD", 2, CAUSE, base.plusSeconds(1));
        String claimed = f.seed("HELD", 1, CAUSE, base.plusSeconds(2));
        String gone = f.seed("GONE", 1, CAUSE, base.plusSeconds(3));
        String unreadable = f.seed("ODD", 1, CAUSE, base.plusSeconds(4));
        f.handler.poisoned.add("BAD");
        f.jdbc.update("UPDATE " + RetryJobFixture.PREFIX + "letter SET payload_type = 'com.example.Missing' "
                              + "WHERE sequence_key = ?", unreadable);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        // After the snapshot: another node holds one sequence, an operator erases another.
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        JdbcDeadLetterStore otherNode = JdbcDeadLetterStore.builder().dataSource(dataSource)
                                                           .eventSerializer(serializer).genericSerializer(serializer)
                                                           .nodeId("other-node").build();
        var held = otherNode.claim(GROUP, claimed, Duration.ofMinutes(5)).orElseThrow();
        f.store.evictSequence(GROUP, gone);

        f.runner("node-1");
        // The held sequence waits, PENDING, for later batches while the other node has it.
        await().atMost(Duration.ofSeconds(30)).until(() -> f.ledger.nodes(claimed).size() >= 2
                && f.processed(job.id()).size() == 4);
        RetryJob waiting = f.job(job.id());
        assertThat(waiting.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(waiting.remaining()).isEqualTo(1);
        assertThat(waiting.sequences()).filteredOn(o -> o.sequenceKey().equals(claimed))
                                       .extracting(SequenceOutcome::outcome).containsExactly("PENDING");
        otherNode.release(held);
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(done.total()).isEqualTo(5);
        assertThat(done.succeeded()).isEqualTo(2);
        assertThat(done.failed()).isEqualTo(2);
        assertThat(done.skipped()).isEqualTo(1);
        assertThat(done.remaining()).isZero();
        Map<String, SequenceOutcome> outcomes = done.sequences().stream().collect(
                Collectors.toMap(SequenceOutcome::sequenceKey, o -> o));
        assertThat(outcomes.get(drained).outcome()).isEqualTo("DRAINED");
        assertThat(outcomes.get(drained).redelivered()).isEqualTo(2);
        assertThat(outcomes.get(drained).remaining()).isZero();
        assertThat(outcomes.get(failing).outcome()).isEqualTo("FAILED");
        assertThat(outcomes.get(failing).redelivered()).isZero();
        assertThat(outcomes.get(failing).remaining()).isEqualTo(2);
        assertThat(outcomes.get(failing).detail()).contains("IllegalStateException").contains("poisoned BAD#0");
        assertThat(outcomes.get(claimed).outcome()).isEqualTo("DRAINED");
        assertThat(outcomes.get(gone).outcome()).isEqualTo("NOT_FOUND");
        assertThat(outcomes.get(unreadable).outcome()).isEqualTo("UNREADABLE");
        assertThat(done.sequences()).allSatisfy(o -> assertThat(o.finishedAt()).isNotNull());

        // The store agrees: the failing head was retried once more, the unreadable one is untouched.
        assertThat(f.store.contains(GROUP, drained)).isFalse();
        assertThat(f.store.contains(GROUP, claimed)).isFalse();
        assertThat(f.store.sequenceLetters(GROUP, failing, -1, 1).get(0).attempts()).isEqualTo(2);
        assertThat(f.store.sequenceSize(GROUP, unreadable)).isEqualTo(1);

        // One audit entry per processed sequence, as the system, with its outcome.
        List<AuditEntry> sequences = f.auditEntries(RetryJobAudit.SEQUENCE);
        assertThat(sequences).extracting(AuditEntry::target)
                             .containsExactlyInAnyOrder(drained, failing, claimed, gone, unreadable);
        assertThat(sequences).extracting(AuditEntry::actor).containsOnly(RetryJobAudit.SYSTEM_ACTOR);
        assertThat(sequences).filteredOn(e -> e.target().equals(failing)).singleElement()
                             .satisfies(e -> assertThat(e.outcome()).isEqualTo("failure"))
                             .satisfies(e -> assertThat(e.parameters()).contains(job.id().toString()));
        assertThat(sequences).filteredOn(e -> e.target().equals(drained)).singleElement()
                             .satisfies(e -> assertThat(e.outcome()).isEqualTo("success"));

        List<AuditEntry> finished = f.auditEntries(RetryJobAudit.FINISH);
        assertThat(finished).hasSize(1);
        assertThat(finished.get(0).outcome()).isEqualTo("success");
        assertThat(finished.get(0).detail())
                .isEqualTo("COMPLETED: 2 succeeded, 2 failed, 1 skipped, 0 remaining");
        assertThat(finished.get(0).parameters()).contains("\"skipped\":1");
        List<AuditEntry> created = f.auditEntries(RetryJobAudit.CREATE);
        assertThat(created).singleElement().satisfies(e -> {
            assertThat(e.actor()).isEqualTo("alice");
            assertThat(e.processingGroup()).isEqualTo(GROUP);
            assertThat(e.target()).isEqualTo(job.id().toString());
            assertThat(e.detail()).isEqualTo("5 sequences in the snapshot");
        });
    }

    @Test
    void aJobAuditsEveryLetterItRedeliversInTheLettersTransactionWithFailureTypesOnly() {
        Instant base = Instant.now().minus(Duration.ofHours(1));
        String ok = f.seed("OK", 3, CAUSE, base);
        String bad = f.seed("BAD", 2, CAUSE, base.plusSeconds(1));
        f.handler.poisoned.add("BAD");
        List<String> okLetters = f.store.sequenceLetters(GROUP, ok, -1, 10).stream()
                                        .map(l -> l.id().toString()).toList();
        String badHead = f.store.sequenceLetters(GROUP, bad, -1, 1).get(0).id().toString();
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();

        f.runner("node-1");
        f.awaitState(job.id(), RetryJob.State.COMPLETED);

        List<AuditEntry> letters = f.auditEntries(DeadLetterOperations.REDELIVER_LETTER);
        assertThat(letters).extracting(AuditEntry::target)
                           .containsExactly(okLetters.get(0), okLetters.get(1), okLetters.get(2), badHead);
        assertThat(letters).extracting(AuditEntry::actor).containsOnly(RetryJobAudit.SYSTEM_ACTOR);
        assertThat(letters.subList(0, 3)).extracting(AuditEntry::outcome).containsOnly("success");
        assertThat(letters.get(3).outcome()).isEqualTo("failure");
        // Audit readers see the failure's type, never its message (it may quote the payload).
        assertThat(letters.get(3).detail()).contains(CAUSE).doesNotContain("poisoned");
        assertThat(f.auditEntries(RetryJobAudit.SEQUENCE)).filteredOn(e -> e.target().equals(bad)).singleElement()
                .satisfies(e -> assertThat(e.detail()).contains(CAUSE).doesNotContain("poisoned"));
        assertThat(f.job(job.id()).sequences()).filteredOn(o -> o.sequenceKey().equals(bad)).singleElement()
                .satisfies(o -> assertThat(o.detail()).as("the job's own record keeps the message")
                                                      .contains("poisoned BAD#0"));
    }

    @Test
    void aLetterWhoseAuditEntryTheDatabaseRefusesIsRolledBackAndFailsTheJob() {
        String key = f.seed("REFUSED", 2, CAUSE, Instant.now().minus(Duration.ofHours(1)));
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        f.refuseAudit(DeadLetterOperations.REDELIVER_LETTER);

        f.runner("node-1");
        RetryJob failed = f.awaitState(job.id(), RetryJob.State.FAILED);

        assertThat(f.store.sequenceSize(GROUP, key)).as("the first letter's removal rolled back").isEqualTo(2);
        assertThat(failed.succeeded() + failed.failed() + failed.skipped()).isZero();
        assertThat(failed.failure()).contains("DataIntegrityViolation");
        assertThat(f.auditEntries(RetryJobAudit.FINISH)).singleElement().satisfies(e -> {
            assertThat(e.outcome()).isEqualTo("failure");
            assertThat(e.detail()).contains("DataIntegrityViolation").doesNotContain("SQL");
        });
        f.acceptAudit();
    }

    @Test
    void anUnexpectedErrorFailsTheJobAndFreesTheGroup() {
        List<String> keys = f.seedMany("E", 4);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        f.runner("node-1", f.settings(Duration.ofSeconds(10)), (node, key) -> {
            if (key.equals(keys.get(1))) {
                throw new IllegalStateException("database went away");
            }
        });

        RetryJob failed = f.awaitState(job.id(), RetryJob.State.FAILED);

        assertThat(failed.failure()).contains("IllegalStateException").contains("database went away");
        assertThat(failed.succeeded()).isEqualTo(1);
        assertThat(failed.remaining()).isEqualTo(3);
        assertThat(f.jobs.activeJob(GROUP)).isEmpty();
        assertThat(f.auditEntries(RetryJobAudit.FINISH)).singleElement()
                                                        .satisfies(e -> assertThat(e.outcome()).isEqualTo("failure"));
        assertThat(f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").created()).isTrue();
    }

    @Test
    void aGroupThatDoesNotRunHereIsLeftToOtherNodes() {
        String key = f.seed("elsewhere", "X", 1, CAUSE, Instant.now());
        RetryJob job = f.jobs.create(new RetryJobRequest("elsewhere", null, null, null, null, 1, Duration.ZERO, 10),
                                     null, "alice").job();
        f.runner("node-1");

        // Claimed, found not to run here, given back.
        await().atMost(Duration.ofSeconds(30)).until(() -> f.ledger.nodes(key).contains("node-1")
                && f.job(job.id()).owner() == null);
        RetryJob waiting = f.job(job.id());
        assertThat(waiting.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(waiting.sequences()).extracting(SequenceOutcome::outcome).containsExactly("PENDING");

        assertThat(f.jobs.stop(job.id(), "alice")).map(RetryJob::state).contains(RetryJob.State.STOPPED);
    }

    /**
     * {@code batches} counts the batches that processed a sequence, and numbers them: a claim by a node where the group
     * does not run, which processes nothing, is no batch.
     */
    @Test
    void aClaimThatProcessesNothingIsNoBatch() {
        f.seedMany("B", 2);
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();
        CountDownLatch refused = new CountDownLatch(1);
        Node elsewhere = f.runner("node-without-the-group", f.settings(Duration.ofSeconds(10)), (node, key) -> {
            refused.countDown();
            throw new UnknownProcessingGroupException(GROUP);
        });
        // The interleaving: the node without the group claimed the job, and gave it back.
        await().atMost(Duration.ofSeconds(30)).until(() -> refused.getCount() == 0 && f.job(job.id()).owner() == null);
        elsewhere.stop();

        f.runner("node-1");
        f.awaitState(job.id(), RetryJob.State.COMPLETED);

        assertThat(f.processed(job.id())).extracting(Processed::batch).containsExactly(1, 1);
        assertThat(f.jdbc.queryForObject("SELECT batches FROM " + RetryJobFixture.PREFIX
                                                 + "retry_job WHERE job_id = ?", Integer.class, job.id()))
                .as("batches that processed a sequence").isEqualTo(1);
    }

    /**
     * The group's processor is stopped on this node (an operator or the application shut it down): a job does not run
     * the group's handlers through it there, but waits for a node where it runs, as for a group that does not run
     * here at all.
     */
    @Test
    void aJobLeavesAGroupWhoseProcessorIsStoppedOnThisNodeToNodesWhereItRuns() {
        String key = f.seed("S", 1, CAUSE, Instant.now().minus(Duration.ofHours(1)));
        EventProcessor processor = f.axon.eventProcessingConfiguration().eventProcessorByProcessingGroup(GROUP)
                                         .orElseThrow();
        processor.shutDown();
        assertThat(processor.isRunning()).isFalse();
        RetryJob job = f.jobs.create(f.request(10, Duration.ZERO, 100), null, "alice").job();

        f.runner("node-1");
        // The interleaving: node-1 claimed the job and came to the sequence while the processor was stopped.
        await().atMost(Duration.ofSeconds(30)).until(() -> f.ledger.nodes(key).contains("node-1")
                && (f.job(job.id()).owner() == null || f.job(job.id()).state() != RetryJob.State.RUNNING));
        assertThat(f.handler.handled).as("no handler ran through the stopped processor").isEmpty();
        assertThat(f.store.contains(GROUP, key)).isTrue();
        RetryJob waiting = f.job(job.id());
        assertThat(waiting.state()).isEqualTo(RetryJob.State.RUNNING);
        assertThat(waiting.sequences()).extracting(SequenceOutcome::outcome).containsExactly("PENDING");

        // Where the processor runs (here: started again, on a node that has not backed off), the job goes on.
        processor.start();
        f.runner("node-2");
        RetryJob done = f.awaitState(job.id(), RetryJob.State.COMPLETED);
        assertThat(done.succeeded()).isEqualTo(1);
        assertThat(f.handler.handled).containsExactly("S#0");
    }

    // --- listing --------------------------------------------------------------------------------------------------

    @Test
    void listsJobsNewestFirstWithACursor() {
        f.seedMany("L", 1);
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            RetryJob job = f.jobs.create(f.request(1, Duration.ZERO, 10), null, "alice").job();
            f.jobs.stop(job.id(), "alice");
            ids.add(0, job.id());
        }

        Page<RetryJob> first = f.jobs.list(2, null);
        Page<RetryJob> second = f.jobs.list(2, first.nextCursor());
        Page<RetryJob> third = f.jobs.list(2, second.nextCursor());

        List<UUID> listed = new ArrayList<>();
        for (Page<RetryJob> page : List.of(first, second, third)) {
            page.items().forEach(job -> listed.add(job.id()));
            page.items().forEach(job -> assertThat(job.sequences()).isEmpty());
        }
        assertThat(listed).containsExactlyElementsOf(ids);
        assertThat(third.nextCursor()).isNull();
        assertThatThrownBy(() -> f.jobs.list(2, "not-a-cursor")).isInstanceOf(InvalidCursorException.class);
        assertThatThrownBy(() -> f.jobs.list(0, null)).isInstanceOf(IllegalArgumentException.class);
        // The wire format of the cursors handed out before the one codec: J|seconds|nanos|id.
        RetryJob last = first.items().get(1);
        assertThat(first.nextCursor()).isEqualTo(base64("J|" + last.createdAt().getEpochSecond() + "|"
                                                                + last.createdAt().getNano() + "|" + last.id()));
        for (String forged : List.of(base64("J|99999999999999|0|" + last.id()), base64("J|1|0|x"),
                                     base64("A|1|0|" + last.id()))) {
            assertThatThrownBy(() -> f.jobs.list(2, forged)).as(forged).isInstanceOf(InvalidCursorException.class);
        }
        assertThat(f.jobs.find(UUID.randomUUID())).isEmpty();
    }

    @Test
    void pagesThroughTheOutcomesOfALargeJob() {
        List<String> keys = f.seedMany("O", 7);
        RetryJob job = f.jobs.create(f.request(1, Duration.ZERO, 100), null, "alice").job();

        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            Page<SequenceOutcome> page = f.jobs.outcomes(job.id(), 3, cursor);
            page.items().forEach(o -> paged.add(o.sequenceKey()));
            cursor = page.nextCursor();
        } while (cursor != null);

        assertThat(paged).containsExactlyElementsOf(keys);
        assertThatThrownBy(() -> f.jobs.outcomes(job.id(), 3, "bad")).isInstanceOf(InvalidCursorException.class);
        // S|position, as before the one codec; a position no int holds is refused before SQL.
        assertThat(f.jobs.outcomes(job.id(), 3, base64("S|5")).items()).extracting(SequenceOutcome::sequenceKey)
                                                                       .containsExactly(keys.get(5), keys.get(6));
        assertThat(f.jobs.outcomes(job.id(), 3, null).nextCursor()).isEqualTo(base64("S|3"));
        assertThatThrownBy(() -> f.jobs.outcomes(job.id(), 3, base64("S|99999999999")))
                .isInstanceOf(InvalidCursorException.class);
    }

    private static String base64(String plain) {
        return java.util.Base64.getUrlEncoder().withoutPadding()
                               .encodeToString(plain.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** {@code store} without its own {@link DeadLetterStore#matchingSequenceKeys}: the interface's default runs. */
    static DeadLetterStore throughApi(DeadLetterStore store) {
        return (DeadLetterStore) java.lang.reflect.Proxy.newProxyInstance(
                DeadLetterStore.class.getClassLoader(), new Class<?>[]{DeadLetterStore.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("matchingSequenceKeys")) {
                        return java.lang.reflect.InvocationHandler.invokeDefault(proxy, method, args);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
