package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code axon.dlq.retry-jobs.idempotency-key-ttl} through the servlet stack: within the time to live a key answers
 * with its job (200), after it the same key creates a new job (202).
 */
@TestPropertySource(properties = "axon.dlq.retry-jobs.idempotency-key-ttl=1s")
class RetryJobIdempotencyExpiryTest extends RestApiTestSupport {

    @Test
    void anExpiredIdempotencyKeyCreatesANewJob() throws InterruptedException {
        String key = "expiring-" + System.nanoTime();
        String body = "{\"processingGroup\": \"" + GROUP + "\", \"filter\": {\"payloadType\": \"com.example.None\"}}";
        Http.Response first = http.post("/retry-jobs", body, "Idempotency-Key", key);
        assertThat(first.status()).as(first.toString()).isEqualTo(202);
        String id = first.json().path("id").asText();
        Http.Response replay = http.post("/retry-jobs", body, "Idempotency-Key", key);
        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.json().path("id").asText()).isEqualTo(id);

        Thread.sleep(1100); // past the time to live
        Http.Response later = http.post("/retry-jobs", body, "Idempotency-Key", key);
        assertThat(later.status()).as(later.toString()).isEqualTo(202);
        JsonNode job = later.json();
        assertThat(job.path("id").asText()).isNotEqualTo(id);
        assertThat(ok(http.get("/retry-jobs/" + id)).path("id").asText()).as("the old job stays").isEqualTo(id);
    }
}
