package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.core.jobs.JobWorker;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobAudit;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.UndeserializableLetterException;
import io.axondlq.jdbc.SchemaInitializer;
import io.axondlq.jdbc.SqlDialect;
import io.axondlq.jdbc.audit.JdbcAuditLog;
import io.axondlq.jdbc.jobs.JdbcLeases;
import io.axondlq.jdbc.jobs.JdbcRetryJobProgress;
import io.axondlq.jdbc.jobs.JdbcRetryJobs;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Errors (not exceptions) during background work: a letter whose payload class cannot be initialized, a handler or a
 * redelivery that throws an {@link Error}. The job or the retry ends as a runtime failure would end it, and the
 * node's worker goes on with the next job. Written once, subclassed per database.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class BackgroundErrorsIntegrationTest {

    private static final String PREFIX = SchemaInitializer.DEFAULT_TABLE_PREFIX;

    /** What a handler or a redelivery throws: an {@link Error} of the application's own. */
    static final class ApplicationError extends Error {
        ApplicationError(String message) {
            super(message);
        }
    }

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    private InvokerFixture app;
    private JdbcTemplate jdbc;
    private DeadLetterOperations operations;
    private JdbcLeases leases;
    private JdbcRetryJobs jobs;
    private final List<JobWorker> workers = new ArrayList<>();

    @BeforeEach
    void start() {
        InvokerFixture.prepareDatabase(database, pool);
        SchemaInitializer.initialize(pool, SqlDialect.detect(pool), PREFIX, SchemaInitializer.OPERATIONS_SCRIPT);
        SchemaInitializer.initialize(pool, SqlDialect.detect(pool), PREFIX, "V7__axon_dlq_retry_due.sql");
        jdbc = new JdbcTemplate(pool);
        for (String table : List.of("retry_job_sequence", "retry_job", "audit", "auto_retry", "scheduler_lease")) {
            jdbc.update("DELETE FROM " + PREFIX + table);
        }
        app = new InvokerFixture(database, pool, pool);
        app.start(Options.of(ProcessorType.POOLED));
        operations = new DeadLetterOperations(app.appStore, new JdbcAuditLog(pool, PREFIX, Clock.systemUTC()),
                                              app.springTransactions, null, app::redeliverer);
        leases = new JdbcLeases(pool, app.springTransactions, PREFIX);
        jobs = new JdbcRetryJobs(pool, app.springTransactions, PREFIX, app.appStore, leases, RetryJobAudit.NONE,
                                 JdbcRetryJobs.DEFAULT_IDEMPOTENCY_KEY_TTL, Clock.systemUTC());
    }

    @AfterEach
    void stop() {
        workers.forEach(JobWorker::stop);
        app.close();
    }

    /** The aggregate's letters now name {@link BrokenPayload}: present on the classpath, but never loadable. */
    private void breakPayloadClass(String aggregate) {
        jdbc.update("UPDATE axon_dlq_letter SET payload_type = ? WHERE processing_group = ? AND sequence_key = ?",
                    BrokenPayload.class.getName(), GROUP, app.key(aggregate));
    }

    /** A worker with one retry-job runner, polling often, whose redeliveries go through {@code redelivery}. */
    private void startWorker(RetryJobRunner.Redelivery redelivery) {
        RetryJobRunner runner = new RetryJobRunner(
                new JdbcRetryJobProgress(pool, app.springTransactions, PREFIX, leases, RetryJobAudit.NONE),
                redelivery, JobWorker.ownerName("node-1"),
                new RetryJobRunner.Settings(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofSeconds(10)),
                Clock.systemUTC());
        JobWorker worker = new JobWorker(List.of(runner), runner.settings().stopTimeout());
        workers.add(worker);
        worker.start();
    }

    private UUID createJob() {
        return jobs.create(new RetryJobRequest(GROUP, null, null, null, null, 10, Duration.ZERO, 100), null, "ops")
                   .job().id();
    }

    /** Waits for the job to end, whichever way. */
    private RetryJob awaitEnd(UUID jobId) {
        await().atMost(Duration.ofSeconds(60)).until(() -> jobs.find(jobId).orElseThrow().state()
                != RetryJob.State.RUNNING);
        return jobs.find(jobId).orElseThrow();
    }

    private RetryJob.SequenceOutcome outcome(RetryJob job, String sequenceKey) {
        return job.sequences().stream().filter(s -> s.sequenceKey().equals(sequenceKey)).findFirst().orElseThrow();
    }

    @Test
    void aPayloadClassThatCannotBeInitializedMakesItsLetterUnreadableAndTheWorkerGoesOn() {
        List<String> keys = app.park(2, "A", "BAD", "ERR");
        breakPayloadClass("BAD");
        // A handler that throws an Error on redelivery fails its letter, as an exception would.
        app.handler.hook = (event, redelivery) -> {
            if (redelivery && event.aggregateId().equals("ERR")) {
                throw new ApplicationError("handler error on " + event.key());
            }
        };
        startWorker((group, key) -> operations.redeliverLetters(RetryJobRunner.SYSTEM_ACTOR, group, key));

        RetryJob first = awaitEnd(createJob());

        assertThat(first.state()).as("%s", first).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(first.succeeded()).isEqualTo(1);
        assertThat(first.failed()).isEqualTo(2);
        assertThat(outcome(first, keys.get(0)).outcome()).isEqualTo("DRAINED");
        assertThat(outcome(first, keys.get(1)).outcome()).isEqualTo("UNREADABLE");
        assertThat(outcome(first, keys.get(1)).detail()).contains(UndeserializableLetterException.class.getName())
                                                        .contains(BrokenPayload.class.getName());
        assertThat(outcome(first, keys.get(2)).outcome()).isEqualTo("FAILED");
        assertThat(outcome(first, keys.get(2)).detail()).contains(ApplicationError.class.getName());
        assertThat(app.projected("A")).containsExactly(0L, 1L);
        assertThat(app.sequenceSize("BAD")).as("kept, intact").isEqualTo(2);
        assertThat(app.letters("ERR").get(0).cause())
                .hasValueSatisfying(c -> assertThat(c.type()).isEqualTo(ApplicationError.class.getName()));
        // The unreadable letter reads as such everywhere, not as an error of the reader.
        assertThatThrownBy(() -> app.letters("BAD").get(0).messages())
                .isInstanceOf(UndeserializableLetterException.class);
        assertThat(app.letters("BAD").get(0).readability().readable()).isFalse();

        // The same worker runs the next job.
        app.handler.hook = (event, redelivery) -> {
        };
        RetryJob second = awaitEnd(createJob());
        assertThat(second.state()).as("%s", second).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(outcome(second, keys.get(2)).outcome()).isEqualTo("DRAINED");
        assertThat(app.projected("ERR")).containsExactly(0L, 1L);
    }

    @Test
    void anErrorThatEscapesARedeliveryFailsTheJobAndTheWorkerRunsTheNextOne() {
        List<String> keys = app.park(1, "A", "B");
        Set<String> erring = ConcurrentHashMap.newKeySet();
        erring.addAll(keys);
        startWorker((group, key) -> {
            if (erring.contains(key)) {
                throw new ApplicationError("redelivery error on " + key);
            }
            return operations.redeliverLetters(RetryJobRunner.SYSTEM_ACTOR, group, key);
        });

        RetryJob first = awaitEnd(createJob());

        assertThat(first.state()).as("%s", first).isEqualTo(RetryJob.State.FAILED);
        assertThat(first.failure()).contains(ApplicationError.class.getName()).contains("redelivery error on");
        assertThat(first.owner()).as("its lease given back").isNull();
        assertThat(app.sequenceSize("A") + app.sequenceSize("B")).as("nothing redelivered").isEqualTo(2);

        erring.clear();
        RetryJob second = awaitEnd(createJob());
        assertThat(second.state()).as("%s", second).isEqualTo(RetryJob.State.COMPLETED);
        assertThat(second.succeeded()).isEqualTo(2);
        assertThat(app.projected("A")).containsExactly(0L);
        assertThat(app.projected("B")).containsExactly(0L);
    }

    @Test
    void anErrorInOneAutomaticRetryLeavesTheRoundToTheGroupsOtherSequences() {
        List<String> keys = app.park(1, "A", "B");
        String erring = keys.get(0);
        AutoRetryScheduler scheduler = new AutoRetryScheduler(
                app.appStore, leases, app.springTransactions, (group, key, recorder) -> {
                    if (key.equals(erring)) {
                        throw new ApplicationError("redelivery error on " + key);
                    }
                    return operations.redeliverLetters(RetryJobRunner.SYSTEM_ACTOR, group, key, recorder);
                }, group -> true, RetryJobAudit.NONE, JobWorker.ownerName("node-1"),
                new AutoRetryScheduler.Settings(List.of(Duration.ZERO), Duration.ofMillis(20), 10,
                                                Duration.ofSeconds(10)),
                // Ahead of the database: both sequences are due at once.
                Clock.offset(Clock.systemUTC(), Duration.ofMinutes(1)));

        int ran = scheduler.pollOnce();

        assertThat(ran).as("both sequences had their turn").isEqualTo(2);
        assertThat(app.sequenceSize("A")).isEqualTo(1);
        assertThat(app.projected("B")).containsExactly(0L);
        assertThat(app.appStore.contains(GROUP, keys.get(1))).isFalse();
        scheduler.releaseLeases();
    }
}
