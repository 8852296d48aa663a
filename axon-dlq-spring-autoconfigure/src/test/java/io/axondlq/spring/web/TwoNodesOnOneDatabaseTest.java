package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.jobs.JobWorkerLifecycle;
import io.axondlq.spring.metrics.DeadLetterGauges;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.axondlq.spring.web.shutdownapp.EntryBooked;
import io.axondlq.spring.web.testapp.PostgresTestApplication;
import io.axondlq.spring.web.twonodes.NodeLedger;
import io.axondlq.spring.web.twonodes.TwoNodesTestApplication;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.LockWaits;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.Segment;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * Two nodes of one Spring Boot application (embedded Tomcat on their own ports, the auto-configuration as users get
 * it, a pooled processor of 2 segments, a JDBC token store) on one embedded PostgreSQL database, as in production;
 * operators call the REST API of either node over HTTP while the processors run. Both nodes run in this JVM, each with
 * its own in-memory event storage (the letters carry their events): live events are published on the node that holds
 * the segments, and the other node's processor runs with none. PostgreSQL here; {@link H2TwoNodesOnOneDatabaseTest}
 * on H2.
 */
class TwoNodesOnOneDatabaseTest {

    static final String GROUP = NodeLedger.GROUP;

    final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    FreshDatabase db;
    JdbcTemplate jdbc;

    TestDatabase database() {
        return TestDatabase.POSTGRES;
    }

    @BeforeEach
    void freshDatabase() {
        NodeLedger.reset();
        db = TestDatabases.fresh(database());
        jdbc = new JdbcTemplate(db.dataSource());
    }

    @AfterEach
    void closeEverything() {
        NodeLedger.GATES.values().forEach(CountDownLatch::countDown);
        NodeLedger.COMMIT_GATES.values().forEach(CountDownLatch::countDown);
        contexts.forEach(ConfigurableApplicationContext::close);
        NodeLedger.reset();
        db.close();
    }

    /** Node {@code node} on {@link #db}, with {@code extra} properties ({@code name=value}). */
    ConfigurableApplicationContext start(String node, String... extra) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("test.node", node);
        properties.put("axon.dlq.node-id", node);
        properties.put("server.port", "0");
        properties.put("spring.main.banner-mode", "off");
        properties.put("spring.jmx.enabled", "false");
        properties.put("spring.flyway.enabled", "false");
        properties.put("axon.axonserver.enabled", "false");
        properties.put("axon.serializer.general", "jackson");
        properties.put("axon.serializer.events", "jackson");
        properties.put("axon.serializer.messages", "jackson");
        properties.put("axon.eventhandling.processors." + GROUP + ".mode", "pooled");
        properties.put("axon.eventhandling.processors." + GROUP + ".initial-segment-count", "2");
        properties.put("axon.dlq.retry.max-attempts", "1");
        properties.put("axon.dlq.claim.lease", "5s");
        properties.put("axon.dlq.retry-jobs.poll-interval", "50ms");
        properties.put("management.endpoints.web.exposure.include", "health,prometheus");
        if (db.kind() == TestDatabase.POSTGRES) {
            PostgresTestApplication.use(db, (name, value) -> properties.put(name, value.get()));
        } else {
            properties.put("spring.datasource.url", db.jdbcUrl());
            properties.put("spring.datasource.username", db.dataSource().getUsername());
            properties.put("spring.datasource.password", db.dataSource().getPassword());
            properties.put("spring.sql.init.mode", "never");
            properties.put("axon.dlq.jdbc.initialize-schema", "always");
        }
        for (String property : extra) {
            int equals = property.indexOf('=');
            properties.put(property.substring(0, equals), property.substring(equals + 1));
        }
        ConfigurableApplicationContext context = new SpringApplicationBuilder(TwoNodesTestApplication.class)
                .properties(properties).registerShutdownHook(false).run();
        contexts.add(context);
        return context;
    }

    /** Node B first, holding both segments once it runs; then node A, whose processor runs with no segment. */
    ConfigurableApplicationContext[] startBThenA(String... extra) {
        ConfigurableApplicationContext b = start("B", extra);
        await().atMost(Duration.ofSeconds(60)).until(() -> segmentsOwnedBy("B") == 2);
        ConfigurableApplicationContext a = start("A", extra);
        return new ConfigurableApplicationContext[]{a, b};
    }

    long segmentsOwnedBy(String node) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM TokenEntry WHERE processorName = ? AND owner = ?",
                                   Long.class, GROUP, node);
    }

    static void publish(ConfigurableApplicationContext node, String key, int index) {
        node.getBean(EventStore.class)
            .publish(new GenericDomainEventMessage<>("Entry", key, index, new EntryBooked(key, index)));
    }

    /** A key of a new sequence in the same segment (of 2) as {@code key}. */
    static String keyInSegmentOf(String key, String prefix) {
        Segment segment = Arrays.stream(Segment.ROOT_SEGMENT.split()).filter(half -> half.matches(key)).findFirst()
                                .orElseThrow();
        while (true) {
            String candidate = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
            if (segment.matches(candidate)) {
                return candidate;
            }
        }
    }

    /** A fresh sequence of {@code letters} letters on {@code node}: its first event failed, the rest parked. */
    String seedLetters(ConfigurableApplicationContext node, String key, int letters) {
        NodeLedger.POISONED.add(key);
        DeadLetterStore store = node.getBean(DeadLetterStore.class);
        for (int i = 0; i < letters; i++) {
            publish(node, key, i);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> store.sequenceSize(GROUP, key) == letters);
        NodeLedger.POISONED.remove(key);
        return key;
    }

    /** Indexes of the sequence's events whose handling committed, in the order they were written. */
    List<Integer> applied(String key) {
        return jdbc.queryForList("SELECT idx FROM two_nodes_ledger WHERE sequence_key = ? ORDER BY id",
                                 Integer.class, key);
    }

    List<String> appliedBy(String key) {
        return jdbc.queryForList("SELECT node FROM two_nodes_ledger WHERE sequence_key = ? ORDER BY id",
                                 String.class, key);
    }

    List<Integer> letterIndexes(String key) {
        return jdbc.queryForList("SELECT l.sequence_index FROM axon_dlq_letter l WHERE l.processing_group = ? "
                                         + "AND l.sequence_key = ? ORDER BY l.sequence_index", Integer.class, GROUP,
                                 key).stream().map(Number::intValue).toList();
    }

    /** The events of the sequence (their indexes) held as letters. */
    List<Integer> queuedEvents(String key) {
        return jdbc.queryForList("SELECT l.aggregate_sequence_number FROM axon_dlq_letter l "
                                         + "WHERE l.processing_group = ? AND l.sequence_key = ? "
                                         + "ORDER BY l.sequence_index", Long.class, GROUP, key)
                   .stream().map(Long::intValue).toList();
    }

    static List<Integer> upTo(int end) {
        return IntStream.range(0, end).boxed().toList();
    }

    static String redeliverPath(String key) {
        return "/processing-groups/" + GROUP + "/sequences/" + key + "/redeliver";
    }

    // --- 1. a redelivery on A while B handles the sequence's segment live ---------------------------------------

    /**
     * An operator redelivers sequence S through node A while node B holds S's segment: B goes on handling live events
     * of other sequences of that segment and dead-letters a new event of S (parked behind S's letters) while A's
     * redelivery is inside a letter of S. Afterwards every event of S took effect once, in order (I2, I5): the
     * follower, queued while the call had read S's letters already, is redelivered by the same call after them, never
     * handled live ahead of a letter; and B, whose parked set still names S, handles S's next event live once S is
     * drained.
     */
    @Test
    void aRedeliveryOnOneNodeWhileTheOtherParksAFollowerOfTheSequenceKeepsOrderAndAppliesEachEventOnce()
            throws Exception {
        ConfigurableApplicationContext[] nodes = startBThenA();
        ConfigurableApplicationContext a = nodes[0];
        ConfigurableApplicationContext b = nodes[1];
        String key = "s-" + UUID.randomUUID().toString().substring(0, 8);
        int letters = 10;
        int gated = 3;
        seedLetters(b, key, letters);
        List<String> others = List.of(keyInSegmentOf(key, "o1"), keyInSegmentOf(key, "o2"),
                                      keyInSegmentOf(key, "o3"));
        CountDownLatch gate = new CountDownLatch(1);
        String gatedId = new EntryBooked(key, gated).id();
        NodeLedger.GATES.put(gatedId, gate);

        CompletableFuture<Http.Response> redelivery =
                CompletableFuture.supplyAsync(() -> operator(a).post(redeliverPath(key), null));
        await().atMost(Duration.ofSeconds(30)).until(() -> NodeLedger.WAITING.containsKey(gatedId));
        assertThat(NodeLedger.WAITING.get(gatedId)).as("the redelivery runs on A").isEqualTo("A");

        // B's live events meanwhile: the other sequences of S's segment, and S's follower between them.
        others.forEach(other -> publish(b, other, 0));
        publish(b, key, letters);
        others.forEach(other -> publish(b, other, 1));
        await().atMost(Duration.ofSeconds(30)).until(
                () -> others.stream().allMatch(other -> applied(other).equals(List.of(0, 1))));
        await().atMost(Duration.ofSeconds(30)).until(() -> queuedEvents(key).contains(letters));

        // The interleaving: the follower was parked by B while A's redelivery was inside letter #3.
        assertThat(NodeLedger.WAITING).as("A's redelivery still inside the gated letter").containsKey(gatedId);
        assertThat(redelivery).isNotDone();
        assertThat(others.stream().flatMap(other -> appliedBy(other).stream()).distinct().toList())
                .as("the other sequences were handled live by B").containsExactly("B");
        assertThat(applied(key)).as("S's follower not handled live").doesNotContain(letters);

        gate.countDown();
        Http.Response response = redelivery.get(60, TimeUnit.SECONDS);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        // The follower was queued before the redelivery passed letter #3, so the same call finds it behind the last
        // letter it read (the sequence's count says one more) and redelivers it too.
        assertThat(response.json().path("outcome").asText()).as(response.toString()).isEqualTo("DRAINED");
        assertThat(response.json().path("redelivered").asInt()).as(response.toString()).isEqualTo(letters + 1);
        assertThat(queuedEvents(key)).as("the follower was redelivered by the same call").isEmpty();
        assertThat(applied(key)).as("each event once, in order").containsExactlyElementsOf(upTo(letters + 1));
        assertThat(appliedBy(key)).as("redelivered by A").containsOnly("A");

        // S's next event on B, whose parked set still names S: handled live, after the letters.
        publish(b, key, letters + 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> applied(key).contains(letters + 1));
        assertThat(applied(key)).as("each event once, in order").containsExactlyElementsOf(upTo(letters + 2));
        assertThat(appliedBy(key).get(letters + 1)).as("handled live by B").isEqualTo("B");
        assertThat(queuedEvents(key)).isEmpty();
        for (String other : others) {
            assertThat(applied(other)).as(other).containsExactly(0, 1);
            assertThat(letterIndexes(other)).as(other).isEmpty();
        }
    }

    /**
     * The same race inside one of B's batches: B meets S's followers (S is in its parked set), whose appends wait for
     * the batch's commit, and an event of another sequence whose handler holds the batch open; meanwhile A's
     * redelivery drains S. At B's commit the appends find S gone, so B handles the followers live then, after every
     * letter A redelivered and in their order; none is queued, none is applied twice.
     */
    @Test
    void followersWhoseAppendWaitsForTheBatchWhileAnotherNodeDrainsTheSequenceAreHandledAfterTheLetters()
            throws Exception {
        // A tracking processor reads the three events published together as one batch (a pooled one may split them).
        ConfigurableApplicationContext[] nodes =
                startBThenA("axon.eventhandling.processors." + GROUP + ".mode=tracking",
                            "axon.eventhandling.processors." + GROUP + ".thread-count=2",
                            "axon.eventhandling.processors." + GROUP + ".batch-size=10");
        // The processor decides where its batches start: rarely (seen once in a long CI run, on H2) S's first follower
        // was a committed batch of its own before the gated event's. Such an attempt still has to keep every event
        // once and in order; the race this test is about has to happen in one of them.
        int raced = 0;
        for (int attempt = 0; attempt < 4 && raced == 0; attempt++) {
            raced += followersRaceADrain(nodes[0], nodes[1]) ? 1 : 0;
        }
        assertThat(raced).as("attempts where B's open batch held S's first follower while A drained S").isEqualTo(1);
    }

    /** @return whether S's first follower waited in B's open batch while A drained S (the race happened) */
    private boolean followersRaceADrain(ConfigurableApplicationContext a, ConfigurableApplicationContext b)
            throws Exception {
        String key = "s-" + UUID.randomUUID().toString().substring(0, 8);
        int letters = 10;
        seedLetters(b, key, letters);
        String other = keyInSegmentOf(key, "o");
        CountDownLatch gate = new CountDownLatch(1);
        String gatedId = new EntryBooked(other, 0).id();
        NodeLedger.GATES.put(gatedId, gate);

        // One batch on B, as a rule: S's first follower, the other sequence's gated event, S's second follower.
        b.getBean(EventStore.class).publish(List.of(
                new GenericDomainEventMessage<>("Entry", key, letters, new EntryBooked(key, letters)),
                new GenericDomainEventMessage<>("Entry", other, 0, new EntryBooked(other, 0)),
                new GenericDomainEventMessage<>("Entry", key, letters + 1, new EntryBooked(key, letters + 1))));
        await().atMost(Duration.ofSeconds(30)).until(() -> NodeLedger.WAITING.containsKey(gatedId));
        assertThat(NodeLedger.WAITING.get(gatedId)).isEqualTo("B");
        List<Integer> queuedWhileOpen = queuedEvents(key);
        boolean raced = queuedWhileOpen.equals(upTo(letters));
        if (!raced) {
            assertThat(queuedWhileOpen).as("S's first follower, a batch of its own").isEqualTo(upTo(letters + 1));
        }
        int redeliveredExpected = queuedWhileOpen.size();

        Http.Response response = operator(a).post(redeliverPath(key), null);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(response.json().path("redelivered").asInt()).as(response.toString())
                                                              .isEqualTo(redeliveredExpected);
        // The interleaving: A drained S while B's batch, which holds S's followers, was still open.
        assertThat(NodeLedger.WAITING).as("B's batch still open").containsKey(gatedId);
        assertThat(applied(key)).as("the letters, redelivered by A")
                                .containsExactlyElementsOf(upTo(redeliveredExpected));

        gate.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> applied(key).size() >= letters + 2);
        assertThat(applied(key)).as("each event once, in order").containsExactlyElementsOf(upTo(letters + 2));
        assertThat(appliedBy(key).subList(redeliveredExpected, letters + 2)).as("the followers left, live on B")
                                                                            .containsOnly("B");
        assertThat(queuedEvents(key)).isEmpty();
        assertThat(applied(other)).containsExactly(0);
        return raced;
    }

    /**
     * The race at the sequence's end: A's redelivery has removed S's last letter (its transaction holds S's row) but
     * not committed when B parks a follower of S; B's append waits for A's row lock. Once A commits the drain, B's
     * append finds S gone and B handles the follower live, after every letter: not lost, not ahead of a letter, not
     * applied twice.
     */
    @Test
    void aFollowerParkedWhileTheOtherNodeCommitsTheSequencesLastLetterIsNeitherLostNorAheadOfIt() throws Exception {
        ConfigurableApplicationContext[] nodes = startBThenA();
        ConfigurableApplicationContext a = nodes[0];
        ConfigurableApplicationContext b = nodes[1];
        String key = "s-" + UUID.randomUUID().toString().substring(0, 8);
        int letters = 5;
        seedLetters(b, key, letters);
        CountDownLatch commitGate = new CountDownLatch(1);
        String lastId = new EntryBooked(key, letters - 1).id();
        NodeLedger.COMMIT_GATES.put(lastId, commitGate);

        CompletableFuture<Http.Response> redelivery =
                CompletableFuture.supplyAsync(() -> operator(a).post(redeliverPath(key), null));
        await().atMost(Duration.ofSeconds(30)).until(() -> NodeLedger.WAITING_TO_COMMIT.contains(lastId));
        publish(b, key, letters);
        // The interleaving: B's append of the follower waits for the lock of A's uncommitted drain.
        LockWaits.awaitBlocked(db.dataSource(), database(), 1);
        assertThat(NodeLedger.WAITING_TO_COMMIT).as("A's last letter not committed yet").contains(lastId);
        assertThat(applied(key)).as("the follower not handled yet").containsExactlyElementsOf(upTo(letters - 1));
        commitGate.countDown();

        Http.Response response = redelivery.get(60, TimeUnit.SECONDS);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.json().path("outcome").asText()).as(response.toString()).isEqualTo("DRAINED");
        assertThat(response.json().path("redelivered").asInt()).as(response.toString()).isEqualTo(letters);
        // B's append then finds S gone (the drain deleted its row) and handles the follower live, after the letters.
        await().atMost(Duration.ofSeconds(30)).until(() -> applied(key).size() == letters + 1);
        assertThat(applied(key)).as("each event once, in order").containsExactlyElementsOf(upTo(letters + 1));
        assertThat(appliedBy(key).get(letters)).as("the follower, live on B").isEqualTo("B");
        assertThat(queuedEvents(key)).isEmpty();
    }

    // --- 2. a retry job whose node shuts down, taken over by the other node -------------------------------------

    /**
     * An operator creates a retry job through node A; A is closed while the job's redelivery is inside a letter of the
     * second of three sequences, and node B, which runs meanwhile, takes the job over and finishes it. The job counts
     * each sequence once, the audit log holds one {@code retry-job-sequence} entry per sequence, every event took
     * effect once, in order, part of them on A and the rest on B, and the nodes' {@code axon.dlq.redeliveries} add up
     * to one per letter.
     */
    @Test
    void aRetryJobWhoseNodeShutsDownMidSequenceIsFinishedByTheOtherNodeCountingEachSequenceOnce() throws Exception {
        ConfigurableApplicationContext a = start("A");
        await().atMost(Duration.ofSeconds(60)).until(() -> segmentsOwnedBy("A") == 2);
        int letters = 4;
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            keys.add(seedLetters(a, "job" + i + "-" + UUID.randomUUID().toString().substring(0, 8), letters));
        }
        CountDownLatch gate = new CountDownLatch(1);
        String gatedId = new EntryBooked(keys.get(1), 1).id();
        NodeLedger.GATES.put(gatedId, gate);
        JobWorkerLifecycle workerOfA = a.getBean(JobWorkerLifecycle.class);

        Http.Response created = operator(a).post("/retry-jobs", "{\"processingGroup\": \"" + GROUP
                + "\", \"batchSize\": 10, \"cooldown\": \"PT0S\"}", "Idempotency-Key", "two-nodes-job");
        assertThat(created.status()).as(created.toString()).isEqualTo(202);
        UUID jobId = UUID.fromString(created.json().path("id").asText());
        await().atMost(Duration.ofSeconds(30)).until(() -> NodeLedger.WAITING.containsKey(gatedId));
        assertThat(NodeLedger.WAITING.get(gatedId)).as("A runs the job").isEqualTo("A");

        ConfigurableApplicationContext b = start("B");
        MeterRegistry registryOfA = a.getBean(MeterRegistry.class);
        MeterRegistry registryOfB = b.getBean(MeterRegistry.class);
        ShutdownMidSequenceApplicationTest.Closing closing = ShutdownMidSequenceApplicationTest.closeInBackground(a);
        // The interleaving: A's close has stopped its job worker while the job is inside a letter, B running.
        await().atMost(Duration.ofSeconds(30)).until(() -> !workerOfA.isRunning());
        assertThat(NodeLedger.WAITING).as("A's job inside the letter when A's close stopped it").containsKey(gatedId);
        gate.countDown();
        ShutdownMidSequenceApplicationTest.awaitClosed(closing);

        await().atMost(Duration.ofSeconds(90)).until(() -> !"RUNNING".equals(jdbc.queryForObject(
                "SELECT state FROM axon_dlq_retry_job WHERE job_id = ?", String.class, jobId)));
        Map<String, Object> job = jdbc.queryForMap("SELECT state, total, succeeded, failed, skipped "
                                                           + "FROM axon_dlq_retry_job WHERE job_id = ?", jobId);
        assertThat(job).as("the job's counts")
                       .containsEntry("state", "COMPLETED").containsEntry("total", 3).containsEntry("succeeded", 3)
                       .containsEntry("failed", 0).containsEntry("skipped", 0);
        assertThat(jdbc.query("SELECT sequence_key, outcome FROM axon_dlq_retry_job_sequence WHERE job_id = ? "
                                      + "ORDER BY position", (rs, row) -> rs.getString(1) + " " + rs.getString(2),
                              jobId))
                .as("the job's sequences").containsExactly(keys.get(0) + " DRAINED", keys.get(1) + " DRAINED",
                                                           keys.get(2) + " DRAINED");
        for (String key : keys) {
            assertThat(jdbc.queryForList("SELECT outcome FROM axon_dlq_audit WHERE action = 'retry-job-sequence' "
                                                 + "AND target = ?", String.class, key))
                    .as("audited once: %s", key).hasSize(1);
            assertThat(applied(key)).as("each event once, in order: %s", key)
                                    .containsExactlyElementsOf(upTo(letters));
            assertThat(queuedEvents(key)).isEmpty();
        }
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit WHERE action = 'retry-job-finished'",
                                       Long.class)).isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit WHERE action = 'create-retry-job'",
                                       Long.class)).isEqualTo(1);
        // Each letter's redelivery counted once, by the node that did it (A's registry outlives its context).
        assertThat(redeliveries(registryOfA) + redeliveries(registryOfB)).as("letters redelivered, over both nodes")
                                                                         .isEqualTo(3.0 * letters);
        assertThat(redeliveries(registryOfB)).as("by B").isPositive();
        // A did the first sequence and began the second; B took the job over and did the rest.
        assertThat(appliedBy(keys.get(0))).containsOnly("A");
        assertThat(appliedBy(keys.get(1))).startsWith("A").endsWith("B");
        assertThat(appliedBy(keys.get(2))).containsOnly("B");
    }

    // --- 3 and 4. what either node shows: listings, statistics and gauges ---------------------------------------

    /**
     * Node B dead-letters events; node A's REST listings show them as soon as they are committed (A reads the
     * database, no per-node cache), and both nodes' gauges ({@code axon.dlq.letters}, {@code sequences},
     * {@code oldest.age}, from the MeterRegistry and {@code /actuator/prometheus}) agree with the database after a
     * refresh. Then an operator removes letters through A (the head of the oldest sequence redelivered, a sequence
     * evicted): B's listing and both nodes' gauges follow, the age of the oldest letter included (the removed head was
     * enqueued well before any letter left). Each node's gauges report the whole shared queue, not its own share
     * (README: aggregate them over instances with {@code max}, not {@code sum}).
     */
    @Test
    void bothNodesListAndMeasureWhatTheOtherNodeAddedAndRemoved() throws Exception {
        ConfigurableApplicationContext[] nodes = startBThenA("axon.dlq.metrics.refresh-interval=100ms",
                                                             "axon.dlq.redelivery.max-letters-per-request=1");
        ConfigurableApplicationContext a = nodes[0];
        ConfigurableApplicationContext b = nodes[1];
        String oldest = "m1-" + UUID.randomUUID().toString().substring(0, 8);
        seedLetters(b, oldest, 1);
        // The oldest sequence's head is enqueued well before every other letter: its removal moves the oldest age.
        Thread.sleep(3_000);
        NodeLedger.POISONED.add(oldest);
        publish(b, oldest, 1);
        publish(b, oldest, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> queuedEvents(oldest).size() == 3);
        NodeLedger.POISONED.remove(oldest);
        String two = seedLetters(b, "m2-" + UUID.randomUUID().toString().substring(0, 8), 2);
        String evicted = seedLetters(b, "m3-" + UUID.randomUUID().toString().substring(0, 8), 1);

        // 4. A lists what B has just committed.
        assertListing(a, 6, 3);
        Http.Response letters = operator(a).get("/processing-groups/" + GROUP + "/letters?sequence=" + two);
        assertThat(letters.status()).as(letters.toString()).isEqualTo(200);
        assertThat(letters.json().path("items")).hasSize(2);
        Http.Response sequences = operator(a).get("/processing-groups/" + GROUP + "/sequences");
        assertThat(sequences.status()).as(sequences.toString()).isEqualTo(200);
        assertThat(sequences.json().path("items").findValuesAsText("sequenceKey"))
                .containsExactlyInAnyOrder(oldest, two, evicted);
        Http.Response perHour = operator(a).get("/statistics/enqueued-per-hour");
        assertThat(perHour.status()).as(perHour.toString()).isEqualTo(200);
        long perHourLetters = 0;
        for (JsonNode hour : perHour.json().path("items")) {
            if (hour.path("processingGroup").asText().equals(GROUP)) {
                perHourLetters += hour.path("letters").asLong();
            }
        }
        assertThat(perHourLetters).as("the dashboard's letters per hour").isEqualTo(6);
        // 3. Both nodes' gauges, after a refresh.
        awaitGaugesAgreeWithTheDatabase(a, b);

        // Removed through A: the oldest sequence's head (one letter per request here) and a whole sequence.
        Http.Response redelivered = operator(a).post(redeliverPath(oldest), null);
        assertThat(redelivered.status()).as(redelivered.toString()).isEqualTo(200);
        assertThat(redelivered.json().path("outcome").asText()).isEqualTo("LIMIT_REACHED");
        Http.Response eviction = operator(a).delete("/processing-groups/" + GROUP + "/sequences/" + evicted);
        assertThat(eviction.status()).as(eviction.toString()).isEqualTo(200);
        assertThat(queuedEvents(oldest)).containsExactly(1, 2);

        assertListing(b, 4, 2);
        awaitGaugesAgreeWithTheDatabase(a, b);

        // Erased through A: both nodes' gauges drop to zero (a group that emptied reports zero, not its last values).
        Http.Response erasure = operator(a).delete("/processing-groups/" + GROUP + "/letters?confirm=" + GROUP);
        assertThat(erasure.status()).as(erasure.toString()).isEqualTo(200);
        assertThat(lettersInDatabase()).isZero();
        for (ConfigurableApplicationContext node : nodes) {
            MeterRegistry registry = node.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(gauge(registry, DeadLetterGauges.LETTERS)).isZero();
                assertThat(gauge(registry, DeadLetterGauges.SEQUENCES)).isZero();
                assertThat(gauge(registry, DeadLetterGauges.OLDEST_AGE)).isZero();
            });
        }
    }

    /** {@code GET /processing-groups} on {@code node}: the group's figures are the database's. */
    void assertListing(ConfigurableApplicationContext node, long letters, long sequences) {
        assertThat(lettersInDatabase()).isEqualTo(letters);
        Http.Response response = operator(node).get("/processing-groups");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        JsonNode group = null;
        for (JsonNode item : response.json().path("items")) {
            if (item.path("name").asText().equals(GROUP)) {
                group = item;
            }
        }
        assertThat(group).as(response.toString()).isNotNull();
        assertThat(group.path("letters").asLong()).isEqualTo(letters);
        assertThat(group.path("sequences").asLong()).isEqualTo(sequences);
        assertThat(Instant.parse(group.path("oldestEnqueuedAt").asText()))
                .as("oldest enqueued-at").isEqualTo(oldestEnqueuedAtInDatabase());
    }

    long lettersInDatabase() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_letter WHERE processing_group = ?", Long.class,
                                   GROUP);
    }

    long sequencesInDatabase() {
        return jdbc.queryForObject("SELECT COUNT(DISTINCT sequence_key) FROM axon_dlq_letter "
                                           + "WHERE processing_group = ?", Long.class, GROUP);
    }

    Instant oldestEnqueuedAtInDatabase() {
        return jdbc.queryForObject("SELECT MIN(enqueued_at) FROM axon_dlq_letter WHERE processing_group = ?",
                                   OffsetDateTime.class, GROUP).toInstant();
    }

    /**
     * Both nodes' gauges equal the database's figures (waiting for a refresh, hang guard only); the oldest age within
     * a second of the database's (the gauge counts whole seconds; the removed head was 3 s older than the rest).
     */
    void awaitGaugesAgreeWithTheDatabase(ConfigurableApplicationContext... nodes) {
        long letters = lettersInDatabase();
        long sequences = sequencesInDatabase();
        Instant oldest = oldestEnqueuedAtInDatabase();
        for (ConfigurableApplicationContext node : nodes) {
            MeterRegistry registry = node.getBean(MeterRegistry.class);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(gauge(registry, DeadLetterGauges.LETTERS)).isEqualTo(letters);
                assertThat(gauge(registry, DeadLetterGauges.SEQUENCES)).isEqualTo(sequences);
            });
            double expectedAge = Duration.between(oldest, Instant.now()).toMillis() / 1000.0;
            assertThat(gauge(registry, DeadLetterGauges.OLDEST_AGE)).as("oldest age")
                                                                    .isCloseTo(expectedAge, within(1.5));
            Http.Response scrape = operator(node).sendRaw("GET", "/actuator/prometheus", null);
            assertThat(scrape.status()).as(scrape.toString()).isEqualTo(200);
            String label = "{processingGroup=\"" + GROUP + "\"} ";
            assertThat(scrape.body()).contains("axon_dlq_letters" + label + (double) letters)
                                     .contains("axon_dlq_sequences" + label + (double) sequences);
        }
    }

    static double redeliveries(MeterRegistry registry) {
        Counter counter = registry.find(MicrometerDeadLetterObserver.REDELIVERIES)
                                  .tag(MicrometerDeadLetterObserver.GROUP_TAG, GROUP)
                                  .tag(MicrometerDeadLetterObserver.OUTCOME_TAG, MicrometerDeadLetterObserver.SUCCESS)
                                  .counter();
        return counter == null ? 0 : counter.count();
    }

    static double gauge(MeterRegistry registry, String name) {
        Gauge gauge = registry.find(name).tag(MicrometerDeadLetterObserver.GROUP_TAG, GROUP).gauge();
        assertThat(gauge).as(name).isNotNull();
        return gauge.value();
    }

    static Http operator(ConfigurableApplicationContext context) {
        return ShutdownMidSequenceApplicationTest.operator(context);
    }
}
