package io.axondlq.benchmark;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.benchmark.BenchHandler.Projection;
import io.axondlq.benchmark.BenchmarkApp.Setup;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.testsupport.CountingDataSource;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The benchmark harness of BENCHMARKS.md: for every scenario it runs (a) Axon without DLQ, (b) Axon 4.13's built-in
 * DLQ with its identifier cache, (c) axon-dlq with its default checkpoint isolation, (c') axon-dlq with a savepoint
 * per attempt, alternating, in one JVM, each run on a fresh database, with a no-op, a JDBC and a JPA projection, and
 * prints a table with medians, spreads and per-repetition ratios, plus B5 (operator paths) and B6 (poison stall).
 * Every run also checks its own outcome (all events handled or parked, queue drained), so a broken setup cannot
 * produce a fast number.
 */
public final class DlqBenchmark {

    /** Sizes of one run; {@link #FULL} is the issue's, {@link #TINY} keeps the harness alive in CI. */
    public record Scale(String name, int events, int aggregates, int parkedSequences, int stormEvents,
                        int redeliveryLetters, int redeliverySequences, int operatorLetters, int operatorSequences,
                        int repetitions, int stallEvents, int stallRepetitions) {
    }

    public static final Scale TINY = new Scale("tiny", 600, 60, 6, 200, 60, 6, 3_000, 300, 1, 400, 1);
    /** Between the two: enough letters for a stable redelivery rate on a busy machine, in minutes. */
    public static final Scale SMALL = new Scale("small", 6_000, 600, 60, 2_000, 2_000, 200, 30_000, 3_000, 3,
                                                1_000, 5);
    public static final Scale FULL = new Scale("full", 100_000, 10_000, 1_000, 20_000, 10_000, 1_000, 1_000_000,
                                               100_000, 3, 2_000, 5);

    /** B6's retry policy: 3 attempts, 20 ms then 40 ms between them (60 ms of back-offs in all). */
    static final int STALL_ATTEMPTS = 3;
    static final Duration STALL_INITIAL_BACKOFF = Duration.ofMillis(20);
    static final double STALL_MULTIPLIER = 2.0;

    /** One measured number. */
    public record Result(String scenario, String variant, Setup setup, List<Double> values, String unit) {

        double median() {
            return DlqBenchmark.median(values);
        }

        double spread() {
            return values.isEmpty() ? 0 : Collections.max(values) - Collections.min(values);
        }
    }

    private final TestDatabase database;
    private final Scale scale;
    /** Scenario name prefixes to run ("B4", "B1,B2"); empty runs them all. */
    private List<String> only = List.of();
    /** Handler label prefixes B1/B2 run with ("no-op", "JDBC,JPA"); empty runs all three. */
    private List<String> handlers = List.of();
    private final List<Result> results = new ArrayList<>();
    private final Map<String, Double> operatorPaths = new LinkedHashMap<>();
    private final List<String> ratios = new ArrayList<>();
    private final List<String> stallRows = new ArrayList<>();
    private final List<String> roundTripRows = new ArrayList<>();

    public DlqBenchmark(TestDatabase database, Scale scale) {
        this.database = database;
        this.scale = scale;
    }

    /** Runs only the scenarios whose names start with one of {@code prefixes} (B5 is "B5"). */
    public DlqBenchmark only(List<String> prefixes) {
        this.only = List.copyOf(prefixes);
        return this;
    }

    /** Runs B1 and B2 only with the handlers whose labels start with one of {@code prefixes}. */
    public DlqBenchmark handlers(List<String> prefixes) {
        this.handlers = List.copyOf(prefixes);
        return this;
    }

    private boolean selected(String scenario) {
        return only.isEmpty() || only.stream().anyMatch(scenario::startsWith);
    }

    private boolean selected(Projection projection) {
        return handlers.isEmpty() || handlers.stream().anyMatch(projection.label::startsWith);
    }

    public List<Result> results() {
        return results;
    }

    public Map<String, Double> operatorPaths() {
        return operatorPaths;
    }

    public DlqBenchmark runAll() throws Exception {
        warmUp(Projection.JDBC);
        if (scale.repetitions() > 1 && (selected("B1") || selected("B2")) && selected(Projection.JPA)) {
            warmUp(Projection.JPA);
        }
        for (Projection projection : Projection.values()) {
            if (!selected(projection)) {
                continue;
            }
            compare("B1 empty DLQ", projection.label, "events/s", List.of(Setup.values()),
                    app -> emptyQueue(app, projection), projection);
            compare("B2 1% parked", projection.label, "events/s", List.of(Setup.values()),
                    app -> parkedTraffic(app, projection), projection);
            countRoundTrips("B1 empty DLQ", projection, app -> emptyQueue(app, projection));
            countRoundTrips("B2 1% parked", projection, app -> parkedTraffic(app, projection));
        }
        compare("B3 park storm", Projection.JDBC.label, "parked letters/s",
                List.of(Setup.AXON, Setup.AXON_DLQ, Setup.AXON_DLQ_PER_ATTEMPT),
                this::parkStorm, Projection.JDBC);
        if (selected("B4")) {
            warmUpRedelivery();
        }
        compare("B4 redelivery", Projection.JDBC.label, "letters/s", List.of(Setup.AXON, Setup.AXON_DLQ),
                this::redelivery, Projection.JDBC);
        if (selected("B5")) {
            measureOperatorPaths();
        }
        if (selected("B6")) {
            measurePoisonStall();
        }
        return this;
    }

    // --- scenarios: each returns units per second ---------------------------------------------------------------

    private double emptyQueue(BenchmarkApp app, Projection projection) throws Exception {
        List<EventMessage<?>> events = interleaved("agg-", scale.aggregates(), scale.events());
        app.append(events);
        double seconds = processAll(app);
        check(app.dlqSize() == 0, "queue not empty");
        check(projection == Projection.NOOP || app.projectionRows() == events.size(), "projection incomplete");
        return events.size() / seconds;
    }

    private double parkedTraffic(BenchmarkApp app, Projection projection) throws Exception {
        int parked = scale.parkedSequences();
        int parkedEvents = scale.events() / 100;
        List<String> parkedIds = new ArrayList<>();
        for (int i = 0; i < parked; i++) {
            parkedIds.add("parked-" + i);
        }
        app.park(parkedIds);
        List<EventMessage<?>> events = interleaved("agg-", scale.aggregates(), scale.events() - parkedEvents);
        List<EventMessage<?>> all = new ArrayList<>(events);
        Random random = new Random(42);
        for (int i = 0; i < parkedEvents; i++) {
            // Spread the parked aggregates' events through the stream.
            all.add(random.nextInt(all.size() + 1), BenchmarkApp.event(parkedIds.get(i % parked), 1 + i / parked));
        }
        app.append(all);
        double seconds = processAll(app);
        long expectedQueue = app.setup == Setup.PLAIN ? 0 : parked + parkedEvents;
        check(app.dlqSize() == expectedQueue, "queue holds " + app.dlqSize() + ", expected " + expectedQueue);
        int expectedRows = app.setup == Setup.PLAIN ? all.size() : events.size();
        check(projection == Projection.NOOP || app.projectionRows() == expectedRows, "projection incomplete");
        return all.size() / seconds;
    }

    private double parkStorm(BenchmarkApp app) throws Exception {
        app.handler.poisoned.add("poison");
        List<EventMessage<?>> events = new ArrayList<>();
        for (int i = 0; i < scale.stormEvents(); i++) {
            events.add(BenchmarkApp.event("poison", i));
        }
        app.append(events);
        double seconds = processAll(app);
        check(app.dlqSize() == events.size(), "queue holds " + app.dlqSize() + ", expected " + events.size());
        return events.size() / seconds;
    }

    private double redelivery(BenchmarkApp app) throws Exception {
        return redelivery(app, scale.redeliveryLetters(), scale.redeliverySequences());
    }

    private double redelivery(BenchmarkApp app, int letters, int sequences) throws Exception {
        int perSequence = letters / sequences;
        for (int s = 0; s < sequences; s++) {
            String id = "seq-" + s;
            for (int i = 0; i < perSequence; i++) {
                EventMessage<?> message = BenchmarkApp.event(id, i);
                RuntimeException cause = new IllegalStateException("was broken");
                if (app.setup == Setup.AXON) {
                    app.axonQueue.enqueue(id, new GenericDeadLetter<>(id, message, i == 0 ? cause : null));
                } else if (i == 0) {
                    app.store.enqueue(BenchHandler.GROUP, LetterDraft.failed(id, message, cause, List.of()));
                } else {
                    app.store.appendIfParked(BenchHandler.GROUP, List.of(LetterDraft.parked(id, message)));
                }
            }
        }
        check(app.dlqSize() == (long) perSequence * sequences, "seeding failed");
        app.build().start();
        long start = System.nanoTime();
        if (app.setup == Setup.AXON) {
            var processor = app.config.eventProcessingConfiguration()
                                      .sequencedDeadLetterProcessor(BenchHandler.GROUP).orElseThrow();
            while (processor.processAny()) {
                // Axon's loop: one sequence per call.
            }
        } else {
            List<RedeliveryResult> done = app.module.redeliverer().redeliverAll(BenchHandler.GROUP, Integer.MAX_VALUE);
            check(done.stream().allMatch(r -> r.outcome() == RedeliveryResult.Outcome.DRAINED), "not drained");
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        check(app.dlqSize() == 0, "queue not drained: " + app.dlqSize());
        check(app.projectionRows() == perSequence * sequences, "projection incomplete");
        return perSequence * sequences / seconds;
    }

    // --- B6: poison stall, axon-dlq only (Axon's built-in has no retries) ------------------------------------------

    /**
     * One batch of 100 events (one segment) holds a poison event in its middle; the retry policy has known back-offs.
     * The stall is the poison batch's time (first handler invocation to commit) minus what the other batches of the
     * same run took, scaled to its size. No processor replay means: every healthy event of that batch ran at most
     * twice (once, and once more after the rollback to the checkpoint), and no event ran more often over the run.
     */
    private void measurePoisonStall() throws Exception {
        double backoffs = 0;
        for (int failed = 1; failed < STALL_ATTEMPTS; failed++) {
            backoffs += STALL_INITIAL_BACKOFF.toMillis() * Math.pow(STALL_MULTIPLIER, failed - 1);
        }
        for (Setup setup : List.of(Setup.AXON_DLQ, Setup.AXON_DLQ_PER_ATTEMPT)) {
            List<Double> stalls = new ArrayList<>();
            List<Double> poisonBatches = new ArrayList<>();
            List<Double> baselines = new ArrayList<>();
            List<String> shapes = new ArrayList<>();
            int rerun = 0;
            int maxHealthyBatch = 0;
            int maxHealthyRun = 0;
            int poisonCalls = 0;
            for (int rep = 0; rep < scale.stallRepetitions(); rep++) {
                try (FreshDatabase db = TestDatabases.fresh(database);
                     BenchmarkApp app = new BenchmarkApp(setup, database, db.dataSource(), Projection.JDBC)) {
                    StallRun run = poisonStall(app);
                    stalls.add(run.poisonMillis() - run.baselineMillis());
                    poisonBatches.add(run.poisonMillis());
                    baselines.add(run.baselineMillis());
                    shapes.add(run.position() + "/" + run.batchSize());
                    rerun = Math.max(rerun, run.rerun());
                    maxHealthyBatch = Math.max(maxHealthyBatch, run.maxHealthyInBatch());
                    maxHealthyRun = Math.max(maxHealthyRun, run.maxHealthyInRun());
                    poisonCalls = Math.max(poisonCalls, run.poisonCalls());
                }
            }
            stallRows.add(String.format(Locale.ROOT, "| %s | %.1f | %.1f | %s(%.1f) | %.0f | %s | %d | %d / %d | %d |",
                                        setup.label, median(poisonBatches), median(baselines), fmtMillis(stalls),
                                        median(stalls), backoffs, String.join(" ", shapes), rerun,
                                        maxHealthyBatch, maxHealthyRun, poisonCalls));
        }
    }

    /** What one B6 run measured. */
    record StallRun(double poisonMillis, double baselineMillis, int position, int batchSize, int rerun,
                    int maxHealthyInBatch, int maxHealthyInRun, int poisonCalls) {
    }

    private StallRun poisonStall(BenchmarkApp app) throws Exception {
        app.segments = 1;
        app.retryPolicy = ExponentialBackoffRetryPolicy.builder()
                                                       .maxAttempts(STALL_ATTEMPTS)
                                                       .initialBackoff(STALL_INITIAL_BACKOFF)
                                                       .multiplier(STALL_MULTIPLIER)
                                                       .build();
        BatchProbe probe = new BatchProbe();
        app.handler.probe = probe;
        app.handler.poisoned.add("poison");
        int total = scale.stallEvents();
        List<EventMessage<?>> events = interleaved("agg-", 100, total - 1);
        // The middle of a middle batch, if the processor's batches start at multiples of 100 (it reports where).
        events.add(total / 200 * 100 + 50, BenchmarkApp.event("poison", 0));
        app.append(events);
        processAll(app);
        check(app.dlqSize() == 1, "queue holds " + app.dlqSize() + ", expected the poison only");
        check(app.projectionRows() == total - 1, "projection incomplete");

        String poison = "poison/0";
        List<BatchProbe.Batch> batches = probe.committedBatches();
        BatchProbe.Batch poisoned = batches.stream().filter(b -> b.invocations.containsKey(poison)).findFirst()
                                           .orElseThrow(() -> new IllegalStateException("no batch with the poison"));
        List<Double> others = new ArrayList<>();
        for (BatchProbe.Batch b : batches.subList(1, batches.size())) {
            if (b != poisoned) {
                others.add(b.millis() * poisoned.events() / b.events());
            }
        }
        check(!others.isEmpty(), "no batch to compare with");
        List<String> order = new ArrayList<>(poisoned.invocations.keySet());
        int rerun = 0;
        int maxInBatch = 0;
        for (Map.Entry<String, Integer> e : poisoned.invocations.entrySet()) {
            if (!e.getKey().equals(poison)) {
                maxInBatch = Math.max(maxInBatch, e.getValue());
                rerun += e.getValue() > 1 ? 1 : 0;
            }
        }
        int maxInRun = probe.runInvocations().entrySet().stream().filter(e -> !e.getKey().equals(poison))
                            .mapToInt(Map.Entry::getValue).max().orElse(0);
        return new StallRun(poisoned.millis(), median(others), order.indexOf(poison) + 1, poisoned.events(), rerun,
                            maxInBatch, maxInRun, probe.runInvocations().getOrDefault(poison, 0));
    }

    private static String fmtMillis(List<Double> values) {
        StringBuilder s = new StringBuilder();
        for (Double v : values) {
            s.append(String.format(Locale.ROOT, "%.1f ", v));
        }
        return s.toString();
    }

    // --- B5: operator paths, axon-dlq only ------------------------------------------------------------------------

    private void measureOperatorPaths() throws Exception {
        try (FreshDatabase db = TestDatabases.fresh(database);
             BenchmarkApp app = new BenchmarkApp(Setup.AXON_DLQ, database, db.dataSource(), Projection.NOOP)) {
            seedOperatorLetters(app);
            app.build().start();
            List<Double> pages = new ArrayList<>();
            String cursor = null;
            for (int i = 0; i < 100; i++) {
                long t = System.nanoTime();
                Page<StoredLetter> page = app.store.letters(BenchHandler.GROUP, LetterFilter.none(), 50, cursor);
                pages.add((System.nanoTime() - t) / 1e6);
                cursor = page.nextCursor();
            }
            Random random = new Random(7);
            for (int i = 0; i < 100; i++) {
                String key = "op-" + random.nextInt(scale.operatorSequences());
                long t = System.nanoTime();
                app.store.letters(BenchHandler.GROUP, LetterFilter.none().withSequenceKey(key), 50, null);
                pages.add((System.nanoTime() - t) / 1e6);
            }
            operatorPaths.put("letter-list page p50 (ms)", percentile(pages, 50));
            operatorPaths.put("letter-list page p99 (ms)", percentile(pages, 99));

            String named = "op-" + (scale.operatorSequences() * 7 / 9);
            long t = System.nanoTime();
            RedeliveryResult result = app.module.redeliverer().redeliver(BenchHandler.GROUP, named);
            operatorPaths.put("redelivery of a named sequence (ms, " + result.redelivered() + " letters)",
                              (System.nanoTime() - t) / 1e6);
            check(result.outcome() == RedeliveryResult.Outcome.DRAINED, "named redelivery: " + result);

            List<Double> statistics = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                long s = System.nanoTime();
                app.store.statistics();
                statistics.add((System.nanoTime() - s) / 1e6);
            }
            operatorPaths.put("statistics query median (ms)", median(statistics));
            operatorPaths.put("full export peak heap (MB)", exportPeakHeapMb(app));
        }
    }

    private void seedOperatorLetters(BenchmarkApp app) {
        JdbcTemplate jdbc = new JdbcTemplate(app.dataSource);
        int letters = scale.operatorLetters();
        int sequences = scale.operatorSequences();
        int perSequence = letters / sequences;
        boolean pg = database == TestDatabase.POSTGRES;
        String range = pg ? "generate_series(0, %d) AS g(i)" : "SYSTEM_RANGE(0, %d) AS g(i)";
        String bytes = pg ? "convert_to(%s, 'UTF8')" : "STRINGTOUTF8(%s)";
        String uuid = pg ? "gen_random_uuid()" : "RANDOM_UUID()";
        String now = "CURRENT_TIMESTAMP";
        jdbc.update("INSERT INTO axon_dlq_sequence (processing_group, sequence_key, segment_key, letter_count, "
                            + "last_index, oldest_enqueued_at, last_touched) SELECT 'bench', 'op-' || i, 0, "
                            + perSequence + ", " + (perSequence - 1) + ", " + now + ", " + now + " FROM "
                            + String.format(range, sequences - 1));
        String payload = String.format(bytes, "'{\"aggregateId\":\"op-' || MOD(i, " + sequences
                + ") || '\",\"sequence\":' || (i / " + sequences + ") || '}'");
        jdbc.update("INSERT INTO axon_dlq_letter (letter_id, processing_group, sequence_key, sequence_index, "
                            + "event_identifier, message_type, payload_type, payload, meta_data, "
                            + "aggregate_type, aggregate_identifier, aggregate_sequence_number, event_timestamp, "
                            + "enqueued_at, last_touched, cause_type, cause_message, attempts, parked) SELECT "
                            + uuid + ", 'bench', 'op-' || MOD(i, " + sequences + "), i / " + sequences + ", "
                            + "'evt-' || i, 'org.axonframework.eventhandling.GenericDomainEventMessage', "
                            + "'io.axondlq.benchmark.BenchEvent', " + payload + ", "
                            + String.format(bytes, "'{}'") + ", 'Bench', 'op-' || MOD(i, " + sequences + "), "
                            + "i / " + sequences + ", " + now + ", " + now + ", " + now + ", "
                            + "'java.lang.IllegalStateException', 'seeded', 1, FALSE FROM "
                            + String.format(range, letters - 1));
        if (pg) {
            jdbc.execute("ANALYZE");
        }
    }

    /** Streams every letter as JSON into nowhere, in pages, sampling the heap while it runs. */
    private double exportPeakHeapMb(BenchmarkApp app) throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        AtomicLong peak = new AtomicLong(memory.getHeapMemoryUsage().getUsed());
        AtomicBoolean running = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (running.get()) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        long exported = 0;
        try (JsonGenerator json = new ObjectMapper().createGenerator(OutputStream.nullOutputStream())) {
            json.writeStartArray();
            String cursor = null;
            do {
                Page<StoredLetter> page = app.store.letters(BenchHandler.GROUP, LetterFilter.none(), 500, cursor);
                for (StoredLetter letter : page.items()) {
                    json.writeStartObject();
                    json.writeStringField("id", letter.id().toString());
                    json.writeStringField("sequence", letter.sequenceKey());
                    json.writeStringField("payloadType", letter.event().payloadType());
                    json.writeBinaryField("payload", letter.event().payload());
                    json.writeEndObject();
                    exported++;
                }
                cursor = page.nextCursor();
            } while (cursor != null);
            json.writeEndArray();
        } finally {
            running.set(false);
            sampler.join();
        }
        check(exported >= scale.operatorLetters() - scale.operatorLetters() / scale.operatorSequences(),
              "export incomplete: " + exported);
        return peak.get() / (1024.0 * 1024.0);
    }

    // --- harness --------------------------------------------------------------------------------------------------

    @FunctionalInterface
    interface Scenario {
        double run(BenchmarkApp app) throws Exception;
    }

    private void warmUp(Projection projection) throws Exception {
        for (Setup setup : Setup.values()) {
            try (FreshDatabase db = TestDatabases.fresh(database);
                 BenchmarkApp app = new BenchmarkApp(setup, database, db.dataSource(), projection)) {
                app.append(interleaved("warm-", 20, 400));
                processAll(app);
            }
        }
    }

    /**
     * One more run per setup, untimed, through a {@link CountingDataSource}: the round trips to the database while the
     * processor works through the events (statements, commits, savepoint calls), per committed transaction. Explains
     * the ratios: with a handler that sends nothing, a round trip plain Axon does not make is what a setup pays.
     */
    private void countRoundTrips(String scenario, Projection projection, Scenario body) throws Exception {
        if (!selected(scenario)) {
            return;
        }
        for (Setup setup : Setup.values()) {
            try (FreshDatabase db = TestDatabases.fresh(database)) {
                CountingDataSource counting = new CountingDataSource(db.dataSource());
                try (BenchmarkApp app = new BenchmarkApp(setup, database, counting, projection)) {
                    body.run(app);
                    RoundTrips r = app.roundTrips;
                    roundTripRows.add(String.format(Locale.ROOT, "| %s | %s | %s | %d | %d | %d | %.2f |", scenario,
                                                    projection.label, setup.label, r.statements(), r.savepointCalls(),
                                                    r.commits(), r.perCommit()));
                }
            }
        }
    }

    /** What a {@link CountingDataSource} saw while the processor worked (see {@link #processAll}). */
    record RoundTrips(int statements, int savepointCalls, int commits) {

        double perCommit() {
            return commits == 0 ? Double.NaN : (statements + savepointCalls + commits) / (double) commits;
        }
    }

    /** B4's paths (Axon's processAny() loop, axon-dlq's redeliverAll) run once, small, before they are timed. */
    private void warmUpRedelivery() throws Exception {
        for (Setup setup : List.of(Setup.AXON, Setup.AXON_DLQ)) {
            try (FreshDatabase db = TestDatabases.fresh(database);
                 BenchmarkApp app = new BenchmarkApp(setup, database, db.dataSource(), Projection.JDBC)) {
                redelivery(app, Math.min(500, scale.redeliveryLetters()), Math.min(50, scale.redeliverySequences()));
            }
        }
    }

    private void compare(String scenario, String variant, String unit, List<Setup> setups, Scenario body,
                         Projection projection) throws Exception {
        if (!selected(scenario)) {
            return;
        }
        Map<Setup, List<Double>> values = new EnumMap<>(Setup.class);
        List<Double> ratioA = new ArrayList<>();
        List<Double> ratioB = new ArrayList<>();
        List<Double> fastRatioA = new ArrayList<>();
        List<Double> fastRatioB = new ArrayList<>();
        for (int rep = 0; rep < scale.repetitions(); rep++) {
            List<Setup> order = new ArrayList<>(setups);
            Collections.rotate(order, rep);
            Map<Setup, Double> thisRep = new EnumMap<>(Setup.class);
            for (Setup setup : order) {
                try (FreshDatabase db = TestDatabases.fresh(database);
                     BenchmarkApp app = new BenchmarkApp(setup, database, db.dataSource(), projection)) {
                    double value = body.run(app);
                    thisRep.put(setup, value);
                    values.computeIfAbsent(setup, s -> new ArrayList<>()).add(value);
                }
            }
            Double c = thisRep.get(Setup.AXON_DLQ);
            if (thisRep.containsKey(Setup.PLAIN)) {
                ratioA.add(c / thisRep.get(Setup.PLAIN));
            }
            if (thisRep.containsKey(Setup.AXON)) {
                ratioB.add(c / thisRep.get(Setup.AXON));
            }
            Double fast = thisRep.get(Setup.AXON_DLQ_PER_ATTEMPT);
            if (fast != null && thisRep.containsKey(Setup.PLAIN)) {
                fastRatioA.add(fast / thisRep.get(Setup.PLAIN));
            }
            if (fast != null && thisRep.containsKey(Setup.AXON)) {
                fastRatioB.add(fast / thisRep.get(Setup.AXON));
            }
        }
        values.forEach((setup, v) -> results.add(new Result(scenario, variant, setup, v, unit)));
        ratios.add(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |", scenario, variant,
                                 fmtRatios(ratioA), fmtRatios(ratioB), fmtRatios(fastRatioA),
                                 fmtRatios(fastRatioB)));
    }

    /** Starts the configuration and waits until every segment passed the last event; returns seconds. */
    private static double processAll(BenchmarkApp app) throws Exception {
        settle(app);
        app.build();
        CountingDataSource counting = app.dataSource instanceof CountingDataSource c ? c : null;
        if (counting != null) {
            counting.reset();
        }
        long start = System.nanoTime();
        app.config.start();
        long deadline = start + TimeUnit.MINUTES.toNanos(15);
        while (!app.caughtUp()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(app.setup + " did not catch up within 15 minutes");
            }
            Thread.sleep(5);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (counting != null) {
            app.roundTrips = new RoundTrips(counting.count(), counting.savepoints() + counting.savepointReleases()
                    + counting.rollbacksToSavepoint(), counting.commits());
        }
        return seconds;
    }

    /**
     * Lets the previous run's aftermath pass before the clock starts: its garbage, the pages it dirtied (flushed by a
     * checkpoint) and autovacuum on its tables. The setups rotate, which keeps their cyclic order: without this, what
     * b (the setup that writes the most) leaves behind was charged to c in three repetitions of four, and never to a.
     */
    private static void settle(BenchmarkApp app) throws InterruptedException {
        System.gc();
        if (app.database != TestDatabase.POSTGRES) {
            return;
        }
        JdbcTemplate jdbc = new JdbcTemplate(app.dataSource);
        jdbc.execute("CHECKPOINT");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && jdbc.queryForObject(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'", Integer.class) > 0) {
            Thread.sleep(50);
        }
    }

    /** {@code total} events round-robin over {@code aggregates} aggregates, numbered per aggregate from 0. */
    static List<EventMessage<?>> interleaved(String prefix, int aggregates, int total) {
        List<EventMessage<?>> events = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            events.add(BenchmarkApp.event(prefix + (i % aggregates), i / aggregates));
        }
        return events;
    }

    public String table() {
        StringBuilder out = new StringBuilder();
        out.append("Database: ").append(database).append(", scale: ").append(scale.name())
           .append(", repetitions: ").append(scale.repetitions()).append(", ")
           .append(Runtime.getRuntime().availableProcessors()).append(" cores, JDK ")
           .append(System.getProperty("java.version")).append(", ").append(Instant.now()).append("\n\n");
        out.append("| scenario | handler | setup | median | spread (max-min) | unit |\n");
        out.append("|---|---|---|---:|---:|---|\n");
        for (Result r : results) {
            out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.0f | %.0f | %s |%n", r.scenario(), r.variant(),
                                     r.setup().label, r.median(), r.spread(), r.unit()));
        }
        out.append("\n| scenario | handler | c/a per rep. (median) | c/b per rep. (median) | c'/a | c'/b |\n");
        out.append("|---|---|---|---|---|---|\n");
        ratios.forEach(r -> out.append(r).append('\n'));
        out.append("\n| B5 operator path (axon-dlq, ").append(scale.operatorLetters()).append(" letters in ")
           .append(scale.operatorSequences()).append(" sequences) | value |\n|---|---:|\n");
        operatorPaths.forEach((k, v) -> out.append(String.format(Locale.ROOT, "| %s | %.1f |%n", k, v)));
        if (!roundTripRows.isEmpty()) {
            out.append("\n| round trips while processing (one untimed run per setup) | handler | setup | statements ")
               .append("| savepoint calls | commits | round trips per commit |\n|---|---|---|---:|---:|---:|---:|\n");
            roundTripRows.forEach(r -> out.append(r).append('\n'));
        }
        if (!stallRows.isEmpty()) {
            out.append("\n| B6 poison stall (JDBC projection, 1 segment, batch ").append(BenchmarkApp.BATCH_SIZE)
               .append(", ").append(scale.stallEvents()).append(" events, ").append(STALL_ATTEMPTS)
               .append(" attempts, back-off ").append(STALL_INITIAL_BACKOFF.toMillis()).append(" ms x")
               .append(STALL_MULTIPLIER).append(") | poison batch median (ms) | other batches median (ms) ")
               .append("| stall per rep. (median) (ms) | back-offs (ms) | poison position/batch size per rep. ")
               .append("| healthy events run twice (max) | max calls of a healthy event: batch / run ")
               .append("| calls of the poison |\n|---|---:|---:|---|---:|---|---:|---|---:|\n");
            stallRows.forEach(r -> out.append(r).append('\n'));
        }
        return out.toString();
    }

    private static String fmtRatios(List<Double> ratios) {
        if (ratios.isEmpty()) {
            return "n/a";
        }
        StringBuilder s = new StringBuilder();
        for (Double r : ratios) {
            s.append(String.format(Locale.ROOT, "%.2f ", r));
        }
        return s.append(String.format(Locale.ROOT, "(%.2f)", median(ratios))).toString();
    }

    static double median(List<Double> values) {
        return percentile(values, 50);
    }

    static double percentile(List<Double> values, int p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException("Benchmark run is invalid: " + message);
        }
    }

    /**
     * Entry point: {@code -Daxon.dlq.bench.scale=full|small|tiny -Daxon.dlq.bench.databases=postgres,h2}, and
     * optionally {@code -Daxon.dlq.bench.scenarios=B4} to run some scenarios only and
     * {@code -Daxon.dlq.bench.repetitions=7} to repeat B1/B2 more often than the scale says, and
     * {@code -Daxon.dlq.bench.handlers=no-op} to run B1/B2 with some handlers only (label prefixes: no-op, JDBC, JPA).
     */
    public static String runFromProperties() throws Exception {
        Scale scale = switch (System.getProperty("axon.dlq.bench.scale", "tiny").toLowerCase(Locale.ROOT)) {
            case "full" -> FULL;
            case "small" -> SMALL;
            default -> TINY;
        };
        // A noisy machine needs more repetitions for a stable median (B1/B2 with the no-op handler take ~2 s each).
        String repetitions = System.getProperty("axon.dlq.bench.repetitions", "").trim();
        if (!repetitions.isEmpty()) {
            int count = Integer.parseInt(repetitions);
            check(count > 0, "axon.dlq.bench.repetitions must be positive, got " + count);
            scale = new Scale(scale.name(), scale.events(), scale.aggregates(), scale.parkedSequences(),
                              scale.stormEvents(), scale.redeliveryLetters(), scale.redeliverySequences(),
                              scale.operatorLetters(), scale.operatorSequences(), count, scale.stallEvents(),
                              scale.stallRepetitions());
        }
        String scenarios = System.getProperty("axon.dlq.bench.scenarios", "").trim();
        List<String> only = scenarios.isEmpty() ? List.of() : List.of(scenarios.split("\\s*,\\s*"));
        String handlerLabels = System.getProperty("axon.dlq.bench.handlers", "").trim();
        List<String> handlers = handlerLabels.isEmpty() ? List.of() : List.of(handlerLabels.split("\\s*,\\s*"));
        StringBuilder out = new StringBuilder();
        for (String name : System.getProperty("axon.dlq.bench.databases", "postgres").split(",")) {
            TestDatabase db = TestDatabase.valueOf(name.trim().toUpperCase(Locale.ROOT).replace("POSTGRESQL",
                                                                                                 "POSTGRES"));
            out.append(new DlqBenchmark(db, scale).only(only).handlers(handlers).runAll().table()).append('\n');
        }
        return out.toString();
    }

}
