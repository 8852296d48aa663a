package io.axondlq.sample;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.sample.SampleHttp.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

import static io.axondlq.sample.SampleHttp.ADMIN;
import static io.axondlq.sample.SampleHttp.ANONYMOUS;
import static io.axondlq.sample.SampleHttp.VIEWER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * H2 in file mode keeps the dead letters across a restart: a sequence parked before the restart is still parked
 * after it (the fault switch, held in memory, is gone), later events of that account park behind it, and a
 * redelivery then applies them all in order.
 */
class H2RestartTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(45);
    private static final String GROUP = "account-balances";

    @TempDir
    Path directory;

    @Test
    void parkedSequenceSurvivesARestartAndIsRedeliveredAfterIt() {
        String account = "restart-1";
        String sequences = "/dead-letters/processing-groups/" + GROUP + "/sequences";

        run(http -> {
            assertThat(http.post("/accounts", ANONYMOUS, "{\"accountId\":\"" + account + "\",\"owner\":\"R\"}")
                           .status()).isEqualTo(201);
            // the projection must have the account before the fault goes on, or AccountOpened fails too
            await().atMost(TIMEOUT).until(() -> http.get("/accounts/" + account, ANONYMOUS).status() == 200);
            assertThat(http.post("/faults", ADMIN, "{\"aggregateId\":\"" + account + "\",\"processingGroup\":\""
                    + GROUP + "\"}").status()).isEqualTo(201);
            assertThat(http.post("/accounts/" + account + "/deposits", ANONYMOUS, "{\"amount\":40}").status())
                    .isEqualTo(200);
            await().atMost(TIMEOUT).untilAsserted(
                    () -> assertThat(http.get(sequences, VIEWER).body()).contains("\"sequenceKey\":\"" + account));
        });

        run(http -> {
            assertThat(http.get("/faults", ADMIN).json()).isEmpty();
            JsonNode parked = http.get(sequences, VIEWER).json().path("items");
            assertThat(parked).hasSize(1);
            assertThat(parked.get(0).path("sequenceKey").asText()).isEqualTo(account);
            assertThat(parked.get(0).path("size").asInt()).isEqualTo(1);

            // no fault any more, but the account is parked: its next event queues up behind the letter
            assertThat(http.post("/accounts/" + account + "/deposits", ANONYMOUS, "{\"amount\":2}").status())
                    .isEqualTo(200);
            await().atMost(TIMEOUT).untilAsserted(() -> assertThat(
                    http.get(sequences, VIEWER).json().path("items").get(0).path("size").asInt()).isEqualTo(2));
            assertThat(http.get("/accounts/" + account, ANONYMOUS).json().path("balance").asLong()).isZero();

            Response redelivered = http.post(sequences + "/" + account + "/redeliver", ADMIN, null);
            assertThat(redelivered.status()).as(redelivered.toString()).isEqualTo(200);
            assertThat(http.get(sequences, VIEWER).json().path("items")).isEmpty();
            JsonNode balance = http.get("/accounts/" + account, ANONYMOUS).json();
            assertThat(balance.path("balance").asLong()).isEqualTo(42);
            assertThat(balance.path("lastSequence").asLong()).isEqualTo(2);
        });
    }

    /** Starts the sample on the test's H2 file, runs the steps, stops it. */
    private void run(Consumer<SampleHttp> steps) {
        System.setProperty("axoniq.update-checker.disabled", "true");
        // command-line arguments: they override application.properties (default properties would not)
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(SampleApplication.class)
                .run("--server.port=0",
                     "--spring.datasource.url=jdbc:h2:file:" + directory.resolve("sample") + ";DB_CLOSE_ON_EXIT=FALSE")) {
            int port = Integer.parseInt(context.getEnvironment().getRequiredProperty("local.server.port"));
            steps.accept(new SampleHttp(port));
        }
    }
}
