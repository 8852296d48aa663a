package io.axondlq.sample;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.sample.SampleHttp.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.axondlq.sample.SampleHttp.ADMIN;
import static io.axondlq.sample.SampleHttp.ANONYMOUS;
import static io.axondlq.sample.SampleHttp.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The walkthrough of demo.sh, over HTTP against the running application: break a projection for one account, see
 * its events parked (and nobody else's), read the letter and the metrics, fix the fault, run a retry job, and find
 * the queue empty and every balance right. Subclasses choose the database. {@code @AutoConfigureObservability}: Spring
 * Boot tests switch metrics export (so {@code /actuator/prometheus}) off unless asked.
 */
@AutoConfigureObservability(tracing = false)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, classes = SampleApplication.class,
        properties = "axon.dlq.metrics.refresh-interval=200ms")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS) // stop processors and databases after each class
abstract class WalkthroughTestBase {

    static final String BALANCES = "account-balances";
    static final String ACTIVITY = "account-activity";
    static final Duration TIMEOUT = Duration.ofSeconds(45);

    static {
        System.setProperty("axoniq.update-checker.disabled", "true");
    }

    @LocalServerPort
    int port;
    SampleHttp http;

    @BeforeEach
    void client() {
        http = new SampleHttp(port);
    }

    @Test
    @Order(1)
    void poisonedAccountIsParkedFixedAndRedeliveredByARetryJob() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String alice = "alice-" + run;
        String bob = "bob-" + run;
        String carol = "carol-" + run;

        assertThat(http.get("/actuator/health", ANONYMOUS).json().path("status").asText()).isEqualTo("UP");

        // 1. three accounts with 100 each
        for (String account : List.of(alice, bob, carol)) {
            open(account);
            deposit(account, 100);
        }
        for (String account : List.of(alice, bob, carol)) {
            awaitBalance(account, 100, 1);
        }

        // 2. the fault switch is admin only; break account-balances for alice
        String fault = "{\"aggregateId\":\"" + alice + "\",\"processingGroup\":\"" + BALANCES
                + "\",\"mode\":\"PERMANENT\"}";
        assertThat(http.post("/faults", ANONYMOUS, fault).status()).isEqualTo(401);
        assertThat(http.post("/faults", VIEWER, fault).status()).isEqualTo(403);
        Response created = http.post("/faults", ADMIN, fault);
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        String faultId = created.json().path("id").asText();

        // 3. alice: +50 (fails 3 times, dead-lettered), -30 (parked behind it); bob: +25 (unaffected)
        deposit(alice, 50);
        withdraw(alice, 30);
        deposit(bob, 25);

        await().atMost(TIMEOUT).untilAsserted(() -> {
            JsonNode sequences = http.get(base() + "/processing-groups/" + BALANCES + "/sequences", VIEWER).json();
            assertThat(sequences.path("items")).hasSize(1);
            assertThat(sequences.path("items").get(0).path("sequenceKey").asText()).isEqualTo(alice);
            assertThat(sequences.path("items").get(0).path("size").asInt()).isEqualTo(2);
        });
        awaitBalance(bob, 125, 2);
        awaitBalance(carol, 100, 1);
        // alice's balance stays at her last good event: nothing of the failed deposit, nothing out of order
        assertThat(balance(alice).path("balance").asLong()).isEqualTo(100);
        assertThat(balance(alice).path("lastSequence").asLong()).isEqualTo(1);
        // the other processing group was not broken: all four of alice's events are in her statement
        await().atMost(TIMEOUT).untilAsserted(
                () -> assertThat(http.get("/accounts/" + alice + "/activity", ANONYMOUS).json()).hasSize(4));

        // 4. the letters: alice's only, in order, the head failed and the second parked
        JsonNode letters = http.get(base() + "/processing-groups/" + BALANCES + "/letters", VIEWER).json()
                               .path("items");
        assertThat(letters).hasSize(2);
        List<String> keys = new ArrayList<>();
        letters.forEach(l -> keys.add(l.path("sequenceKey").asText()));
        assertThat(keys).containsOnly(alice);
        assertThat(letters.get(0).path("payloadType").asText()).endsWith(".MoneyDeposited");
        assertThat(letters.get(0).path("parked").asBoolean()).isFalse();
        assertThat(letters.get(1).path("payloadType").asText()).endsWith(".MoneyWithdrawn");
        assertThat(letters.get(1).path("parked").asBoolean()).isTrue();
        assertThat(http.get(base() + "/processing-groups/" + ACTIVITY + "/letters", VIEWER).json().path("items"))
                .isEmpty();

        // 5. the letter in detail
        JsonNode letter = http.get(base() + "/letters/" + letters.get(0).path("id").asText(), VIEWER).json();
        assertThat(letter.path("attempts").asInt()).isEqualTo(3);
        assertThat(letter.path("aggregate").path("identifier").asText()).isEqualTo(alice);
        assertThat(letter.path("payload").path("amount").asLong()).isEqualTo(50);
        assertThat(letter.path("cause").path("type").asText())
                .isEqualTo("io.axondlq.sample.faults.InjectedFaultException");
        assertThat(letter.path("cause").path("message").asText()).contains(faultId);
        assertThat(letter.path("cause").path("stackTrace").asText()).contains("BalanceProjection");

        // 6. metrics (open, for a scraper) and health
        await().atMost(TIMEOUT).untilAsserted(() -> {
            String scrape = http.get("/actuator/prometheus", ANONYMOUS).body();
            String group = Prometheus.label(BALANCES);
            assertThat(Prometheus.value(scrape, "axon_dlq_enqueued_total", group)).as("enqueued").isEqualTo(1.0);
            assertThat(Prometheus.value(scrape, "axon_dlq_parked_total", group)).as("parked").isEqualTo(1.0);
            assertThat(Prometheus.value(scrape, "axon_dlq_retries_total", group)).as("retries").isEqualTo(2.0);
            assertThat(Prometheus.value(scrape, "axon_dlq_letters", group)).as("letters gauge").isEqualTo(2.0);
            assertThat(Prometheus.value(scrape, "axon_dlq_sequences", group)).as("sequences gauge").isEqualTo(1.0);
        });
        JsonNode health = http.get("/actuator/health/deadLetters", ANONYMOUS).json();
        assertThat(health.path("details").path("groups").path(BALANCES).path("letters").asInt()).isEqualTo(2);

        // 7. reading needs a login, changing needs the write authority
        String job = "{\"processingGroup\":\"" + BALANCES + "\",\"batchSize\":10,\"cooldown\":\"PT0S\"}";
        assertThat(http.get(base() + "/processing-groups", ANONYMOUS).status()).isEqualTo(401);
        assertThat(http.post(base() + "/retry-jobs", VIEWER, job).status()).isEqualTo(403);

        // 8. a retry job while the bug is still there fails the sequence and keeps it
        Response early = http.post(base() + "/retry-jobs", ADMIN, job, Map.of("Idempotency-Key", "early-" + run));
        assertThat(early.status()).as(early.toString()).isEqualTo(202);
        JsonNode earlyJob = awaitJobFinished(early.json().path("id").asText());
        assertThat(earlyJob.path("failed").asInt()).as(earlyJob.toString()).isEqualTo(1);
        assertThat(earlyJob.path("succeeded").asInt()).isZero();
        assertThat(balance(alice).path("balance").asLong()).isEqualTo(100);

        // 9. fix the bug, then redeliver with a retry job (idempotent by key)
        assertThat(http.delete("/faults", ADMIN).json().path("removed").asInt()).isEqualTo(1);
        Map<String, String> key = Map.of("Idempotency-Key", "fix-" + run);
        Response started = http.post(base() + "/retry-jobs", ADMIN, job, key);
        assertThat(started.status()).as(started.toString()).isEqualTo(202);
        String jobId = started.json().path("id").asText();
        Response replay = http.post(base() + "/retry-jobs", ADMIN, job, key);
        assertThat(replay.status()).isIn(200, 202);
        assertThat(replay.json().path("id").asText()).isEqualTo(jobId);
        String otherBody = "{\"processingGroup\":\"" + BALANCES + "\",\"batchSize\":5,\"cooldown\":\"PT0S\"}";
        assertThat(http.post(base() + "/retry-jobs", ADMIN, otherBody, key).status()).isEqualTo(422);

        JsonNode finished = awaitJobFinished(jobId);
        assertThat(finished.path("state").asText()).as(finished.toString()).isEqualTo("COMPLETED");
        assertThat(finished.path("succeeded").asInt()).isEqualTo(1);
        assertThat(finished.path("failed").asInt()).isZero();
        assertThat(finished.path("createdBy").asText()).isEqualTo("admin");

        // 10. the queue is empty and alice's balance is 100 + 50 - 30, every event applied once and in order
        assertThat(http.get(base() + "/processing-groups/" + BALANCES + "/sequences", VIEWER).json().path("items"))
                .isEmpty();
        assertThat(http.get(base() + "/processing-groups/" + BALANCES + "/letters", VIEWER).json().path("items"))
                .isEmpty();
        awaitBalance(alice, 120, 3);
        awaitBalance(bob, 125, 2);
        await().atMost(TIMEOUT).untilAsserted(() -> {
            String scrape = http.get("/actuator/prometheus", ANONYMOUS).body();
            String group = Prometheus.label(BALANCES);
            assertThat(Prometheus.value(scrape, "axon_dlq_redeliveries_total", group, "outcome=\"success\""))
                    .as("successful redeliveries").isEqualTo(2.0);
            assertThat(Prometheus.value(scrape, "axon_dlq_letters", group)).as("letters gauge").isEqualTo(0.0);
        });

        // 11. the audit log has the operator's actions
        JsonNode audit = http.get(base() + "/audit?limit=500", VIEWER).json().path("items");
        List<String> actions = new ArrayList<>();
        audit.forEach(a -> {
            if (a.path("target").asText().equals(jobId)) {
                actions.add(a.path("actor").asText() + ":" + a.path("action").asText());
            }
        });
        assertThat(actions).contains("admin:create-retry-job");
    }

    @Test
    @Order(2)
    void transientFaultIsAbsorbedByRetriesInPlace() {
        String dave = "dave-" + UUID.randomUUID().toString().substring(0, 8);
        open(dave);
        awaitBalance(dave, 0, 0);
        String scrapeBefore = http.get("/actuator/prometheus", ANONYMOUS).body();
        double retriedBefore = Math.max(0, Prometheus.value(scrapeBefore, "axon_dlq_retries_total",
                                                            Prometheus.label(BALANCES)));

        Response fault = http.post("/faults", ADMIN, "{\"aggregateId\":\"" + dave + "\",\"processingGroup\":\""
                + BALANCES + "\",\"mode\":\"TRANSIENT\",\"times\":2}");
        assertThat(fault.status()).as(fault.toString()).isEqualTo(201);
        deposit(dave, 10);

        awaitBalance(dave, 10, 1);
        assertThat(http.get("/faults", ADMIN).json().get(0).path("remaining").asInt()).isZero();
        assertThat(http.get(base() + "/processing-groups/" + BALANCES + "/letters?sequence=" + dave, VIEWER).json()
                       .path("items")).isEmpty();
        String scrape = http.get("/actuator/prometheus", ANONYMOUS).body();
        assertThat(Prometheus.value(scrape, "axon_dlq_retries_total", Prometheus.label(BALANCES)))
                .isEqualTo(retriedBefore + 2);
        http.delete("/faults", ADMIN);
    }

    @Test
    @Order(3)
    void failureAfterWritingLeavesNoPartialRowAndOneSequenceCanBeRedelivered() {
        String erin = "erin-" + UUID.randomUUID().toString().substring(0, 8);
        open(erin);
        await().atMost(TIMEOUT).untilAsserted(
                () -> assertThat(http.get("/accounts/" + erin + "/activity", ANONYMOUS).json()).hasSize(1));

        // the activity handler writes its row, then fails: the row must not survive
        Response fault = http.post("/faults", ADMIN, "{\"aggregateId\":\"" + erin + "\",\"processingGroup\":\""
                + ACTIVITY + "\",\"eventType\":\"MoneyDeposited\",\"phase\":\"AFTER_WRITE\"}");
        assertThat(fault.status()).as(fault.toString()).isEqualTo(201);
        deposit(erin, 7);
        String sequences = base() + "/processing-groups/" + ACTIVITY + "/sequences";
        await().atMost(TIMEOUT).untilAsserted(
                () -> assertThat(http.get(sequences, VIEWER).json().path("items").toString()).contains(erin));
        awaitBalance(erin, 7, 1);
        assertThat(http.get("/accounts/" + erin + "/activity", ANONYMOUS).json()).hasSize(1);
        JsonNode letter = http.get(base() + "/processing-groups/" + ACTIVITY + "/letters?sequence=" + erin, VIEWER)
                              .json().path("items").get(0);
        // axon.dlq.processing-groups.account-activity.retry.max-attempts=4 overrides the default of 3
        assertThat(letter.path("attempts").asInt()).isEqualTo(4);

        http.delete("/faults", ADMIN);
        Response redelivered = http.post(base() + "/processing-groups/" + ACTIVITY + "/sequences/" + erin
                                                 + "/redeliver", ADMIN, null);
        assertThat(redelivered.status()).as(redelivered.toString()).isEqualTo(200);
        assertThat(http.get("/accounts/" + erin + "/activity", ANONYMOUS).json()).hasSize(2);
        assertThat(http.get(sequences, VIEWER).json().path("items")).isEmpty();
    }

    @Test
    @Order(5)
    void theBankApiAndTheFaultSwitchAnswerErrorsAsProblemDetails() {
        // the sample's README: "Errors are problem+json: 400 (bad input), 404 (no such account), 409 (...)"
        String nobody = "nobody-" + UUID.randomUUID().toString().substring(0, 8);
        assertProblem(http.get("/accounts/" + nobody, ANONYMOUS), 404, nobody);
        assertProblem(http.get("/accounts?limit=0", ANONYMOUS), 400, "limit");
        assertProblem(http.post("/accounts/" + nobody + "/deposits", ANONYMOUS, "{\"amount\":1}"), 404, nobody);
        // the curl examples without -H 'Content-Type: application/json'
        assertProblem(http.post("/accounts", ANONYMOUS, "{\"owner\":\"x\"}", Map.of("Content-Type", "text/plain")),
                      415, "application/json");
        assertProblem(http.delete("/faults/f-" + nobody, ADMIN), 404, "f-" + nobody);
        assertProblem(http.post("/faults", ADMIN, "{\"mode\":\"SOMETIMES\"}"), 400, "JSON");
    }

    /**
     * The sample's README ("Users and what they may do"): without a login the sample's filter chain answers 401 itself
     * (HTTP basic's challenge, realm "Realm", Spring Boot's JSON error body) before axon-dlq sees the request; a
     * logged-in user without the authority gets axon-dlq's 403 as problem+json naming the authority; the fault switch
     * is guarded by the filter chain alone, its 401 and 403 Spring Boot's error bodies.
     */
    @Test
    @Order(6)
    void refusalsComeFromTheFilterChainOrFromAxonDlqAsTheReadmeSays() {
        for (Response anonymous : List.of(http.get(base() + "/processing-groups", ANONYMOUS),
                                          http.post("/faults", ANONYMOUS, "{}"))) {
            assertThat(anonymous.status()).as(anonymous.toString()).isEqualTo(401);
            assertThat(anonymous.headers().get("www-authenticate")).as(anonymous.toString())
                                                                   .isEqualTo("Basic realm=\"Realm\"");
            assertThat(anonymous.headers().get("content-type")).as(anonymous.toString())
                                                               .startsWith("application/json");
            assertThat(anonymous.json().path("status").asInt()).isEqualTo(401);
        }
        Response viewerWrite = http.post(base() + "/retry-jobs", VIEWER, "{\"processingGroup\":\"account-balances\"}");
        assertProblem(viewerWrite, 403, "dlq-write");
        Response viewerFault = http.post("/faults", VIEWER, "{}");
        assertThat(viewerFault.status()).as(viewerFault.toString()).isEqualTo(403);
        assertThat(viewerFault.headers().get("content-type")).as(viewerFault.toString())
                                                             .startsWith("application/json");
        assertThat(viewerFault.json().path("status").asInt()).isEqualTo(403);
    }

    static void assertProblem(Response response, int status, String detail) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.headers().get("content-type")).as(response.toString())
                                                          .startsWith("application/problem+json");
        assertThat(response.json().path("detail").asText()).as(response.toString()).contains(detail);
    }

    // --- steps ------------------------------------------------------------------------------------------------------

    @Test
    @Order(4)
    void theHomePageOpensTheDashboardForALoggedInUser() {
        Response home = http.get("/", ANONYMOUS);
        assertThat(home.status()).as(home.toString()).isEqualTo(302);
        assertThat(home.headers().get("location")).endsWith("/dead-letters/ui/");
        Response anonymous = http.get("/dead-letters/ui/", ANONYMOUS);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.body()).doesNotContain("<script");
        Response page = http.get("/dead-letters/ui/", VIEWER);
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        assertThat(page.body()).contains("<script type=\"module\" src=\"app.js\"></script>");
        assertThat(http.get("/dead-letters/ui/app.js", VIEWER).status()).isEqualTo(200);
        JsonNode viewer = http.get(base() + "/me", VIEWER).json();
        assertThat(viewer.path("mayWrite").asBoolean()).isFalse();
        assertThat(http.get(base() + "/me", ADMIN).json().path("mayWrite").asBoolean()).isTrue();
    }

    String base() {
        return "/dead-letters";
    }

    void open(String account) {
        Response response = http.post("/accounts", ANONYMOUS,
                                      "{\"accountId\":\"" + account + "\",\"owner\":\"" + account + "\"}");
        assertThat(response.status()).as(response.toString()).isEqualTo(201);
    }

    void deposit(String account, long amount) {
        Response response = http.post("/accounts/" + account + "/deposits", ANONYMOUS, "{\"amount\":" + amount + "}");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    void withdraw(String account, long amount) {
        Response response = http.post("/accounts/" + account + "/withdrawals", ANONYMOUS,
                                      "{\"amount\":" + amount + "}");
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
    }

    JsonNode balance(String account) {
        Response response = http.get("/accounts/" + account, ANONYMOUS);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return response.json();
    }

    void awaitBalance(String account, long balance, long lastSequence) {
        await().atMost(TIMEOUT).untilAsserted(() -> {
            Response response = http.get("/accounts/" + account, ANONYMOUS);
            assertThat(response.status()).as(response.toString()).isEqualTo(200);
            assertThat(response.json().path("balance").asLong()).as(response.toString()).isEqualTo(balance);
            assertThat(response.json().path("lastSequence").asLong()).isEqualTo(lastSequence);
        });
    }

    JsonNode awaitJobFinished(String jobId) {
        await().atMost(TIMEOUT).until(() -> !http.get(base() + "/retry-jobs/" + jobId, VIEWER).json()
                                                 .path("state").asText().equals("RUNNING"));
        return http.get(base() + "/retry-jobs/" + jobId, VIEWER).json();
    }
}
