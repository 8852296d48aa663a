package io.axondlq.spring.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.spring.DeadLetterSchemaInitializer;
import io.axondlq.spring.properties.InitializeSchema;
import io.axondlq.spring.reliability.app.FreezingExportFilter;
import io.axondlq.spring.reliability.app.ReliabilityProjection;
import io.axondlq.spring.reliability.app.ReliabilitySchema;
import io.axondlq.spring.web.CrossSiteRequestGuard;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kill -9} inside an operator action: a node (a separate JVM, see {@link NodeProcess}) is held inside an erase,
 * a redelivery and an export ({@code reliability.freeze-at}, see {@code ActionFreezer}): it signals through a marker
 * file that it is there, with the action's transaction open, and is killed with SIGKILL. After the restart every
 * committed change has its audit entry and no entry exists for a change that did not commit: the operations layer
 * writes each entry in its change's transaction. An export is on record (outcome {@code started}) from before its
 * first letter left, so one cut off by the crash is still known.
 */
class OperationsCrashTest {

    private static final Duration NODE_START = Duration.ofSeconds(180);
    private static final String GROUP = ReliabilityProjection.GROUP;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private FreshDatabase db;
    private JdbcTemplate jdbc;
    private EventAppender appender;
    private Path logDir;
    private NodeProcess node;
    private int incarnation;

    @BeforeEach
    void database() throws IOException {
        db = TestDatabases.fresh(TestDatabase.POSTGRES);
        jdbc = new JdbcTemplate(db.dataSource());
        EventAppender.createAxonSchema(db.dataSource());
        new DeadLetterSchemaInitializer(db.dataSource(), InitializeSchema.ALWAYS, "axon_dlq_").afterPropertiesSet();
        ReliabilitySchema.create(db.dataSource());
        appender = new EventAppender(db.dataSource());
        logDir = Figures.directory().resolve("operations-crash-" + System.currentTimeMillis());
        Files.createDirectories(logDir);
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.stop();
        }
        db.close();
    }

    /** A node; with {@code freezeAt}, held inside that action the first time it gets there. */
    private Rest start(String freezeAt) throws Exception {
        if (node != null) {
            node.stop();
        }
        incarnation++;
        List<String> arguments = new ArrayList<>(List.of("--spring.datasource.url=" + db.jdbcUrl(),
                                                         "--reliability.seed=1",
                                                         "--reliability.permanent-percent=0",
                                                         "--reliability.transient-percent=0",
                                                         "--reliability.max-claimed-segments=4"));
        if (freezeAt != null) {
            arguments.add("--reliability.freeze-at=" + freezeAt);
            arguments.add("--reliability.freeze-marker=" + marker());
        }
        node = new NodeProcess("N" + incarnation, freePort(), logDir, arguments);
        node.start();
        node.awaitHealthy(NODE_START);
        return new Rest(node.port);
    }

    private Path marker() {
        return logDir.resolve("frozen-" + incarnation);
    }

    /** Sends the call that will freeze; it never answers (the node dies). */
    private CompletableFuture<HttpResponse<String>> sendFrozen(String method, String path) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + node.port + Rest.BASE + path))
                                         .header(CrossSiteRequestGuard.HEADER, "1")
                                         .method(method, HttpRequest.BodyPublishers.noBody())
                                         .timeout(Duration.ofSeconds(300))
                                         .build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Waits for the node's signal that it is inside the action, checks the call is still open, then SIGKILL. */
    private void killInside(String point, CompletableFuture<HttpResponse<String>> call) throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(marker()) || call.isDone());
        assertThat(call).as("the action is still running when the node is killed").isNotDone();
        assertThat(Files.readString(marker())).startsWith(point + ":");
        node.kill();
        await().atMost(Duration.ofSeconds(30)).until(call::isDone);
        assertThat(call).as("the call died with the node").isCompletedExceptionally();
    }

    /** Permanently failing events (aggregate {@code poison-*}): one letter per event, each behind the first. */
    private void park(String aggregate, int letters) {
        for (int i = 0; i < letters; i++) {
            appender.appendNext(aggregate);
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> letters(aggregate).size() == letters);
    }

    private List<String> letters(String aggregate) {
        return jdbc.queryForList("SELECT CAST(letter_id AS VARCHAR(36)) FROM axon_dlq_letter WHERE processing_group = ? "
                                         + "AND sequence_key = ? ORDER BY sequence_index", String.class, GROUP,
                                 aggregate);
    }

    private List<Map<String, Object>> audit(String action) {
        return jdbc.queryForList("SELECT target, outcome, actor, detail, parameters FROM axon_dlq_audit "
                                         + "WHERE action = ? ORDER BY occurred_at, audit_id", action);
    }

    private static List<Object> targets(List<Map<String, Object>> entries) {
        return entries.stream().map(e -> e.get("target")).toList();
    }

    @Test
    void killedDuringAnEraseTheEraseLeavesNeitherItsChangeNorItsEntry() throws Exception {
        Rest rest = start("erase-group:1");
        park("poison-e1", 3);
        park("poison-e2", 2);
        List<String> e2 = letters("poison-e2");
        // committed before the kill: an eviction and its entry
        assertThat(rest.delete("/processing-groups/" + GROUP + "/sequences/poison-e1").status()).isEqualTo(200);

        CompletableFuture<HttpResponse<String>> erase =
                sendFrozen("DELETE", "/processing-groups/" + GROUP + "/letters?confirm=" + GROUP);
        killInside("erase-group", erase);

        Rest restarted = start(null);
        assertThat(letters("poison-e1")).as("the committed eviction").isEmpty();
        assertThat(targets(audit("evict-sequence"))).as("has its entry").containsExactly("poison-e1");
        assertThat(letters("poison-e2")).as("the erase did not commit").isEqualTo(e2);
        assertThat(audit("erase-group")).as("and has no entry").isEmpty();
        // the restarted node serves the same log
        List<JsonNode> viaApi = restarted.all("/audit", 100);
        assertThat(viaApi).extracting(e -> e.path("action").asText()).containsExactly("evict-sequence");
    }

    @Test
    void killedDuringARedeliveryEveryRedeliveredLetterHasItsEntryAndTheLetterInFlightNeither() throws Exception {
        start("redeliver-letter:3");
        park("poison-r", 5);
        List<String> before = letters("poison-r");
        jdbc.update("INSERT INTO faults_fixed (fault_key) VALUES ('poison-r')");

        CompletableFuture<HttpResponse<String>> redelivery =
                sendFrozen("POST", "/processing-groups/" + GROUP + "/sequences/poison-r/redeliver");
        killInside("redeliver-letter", redelivery);

        start(null);
        // letters 1 and 2 committed with their entries; letter 3 was in flight: rolled back, entry and all
        assertThat(letters("poison-r")).isEqualTo(before.subList(2, 5));
        List<Map<String, Object>> entries = audit("redeliver-letter");
        assertThat(targets(entries)).containsExactlyElementsOf(before.subList(0, 2));
        assertThat(entries).allSatisfy(e -> assertThat(e.get("outcome")).isEqualTo("success"));
        assertThat(jdbc.queryForList("SELECT seq FROM projection WHERE aggregate_id = 'poison-r' ORDER BY seq",
                                     Long.class))
                .as("the handler's writes of the redelivered letters only").containsExactly(0L, 1L);
        assertThat(audit("redeliver-sequence")).as("the call itself never ended").isEmpty();
    }

    @Test
    void killedDuringAnExportTheExportIsOnRecordAsStarted() throws Exception {
        start(FreezingExportFilter.POINT + ":1");
        park("poison-x", 3);
        List<String> before = letters("poison-x");

        CompletableFuture<HttpResponse<String>> export =
                sendFrozen("GET", "/processing-groups/" + GROUP + "/export?format=ndjson&sequence=poison-x");
        killInside(FreezingExportFilter.POINT, export);

        Rest restarted = start(null);
        List<Map<String, Object>> entries = audit("export");
        assertThat(entries).singleElement().satisfies(e -> {
            assertThat(e.get("outcome")).as("cut off mid-stream: never completed").isEqualTo("started");
            assertThat(e.get("actor")).isEqualTo("anonymous");
            assertThat((String) e.get("parameters")).contains("\"format\":\"ndjson\"").contains("poison-x");
        });
        assertThat(letters("poison-x")).as("an export changes nothing").isEqualTo(before);
        // an export on the restarted node completes its entry
        assertThat(restarted.get("/processing-groups/" + GROUP + "/export?sequence=poison-x").status())
                .isEqualTo(200);
        assertThat(audit("export")).extracting(e -> e.get("outcome")).containsExactly("started", "success");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
