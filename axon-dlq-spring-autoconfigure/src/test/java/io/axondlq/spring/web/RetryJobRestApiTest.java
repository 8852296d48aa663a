package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.spring.web.testapp.NotificationProjection;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retry jobs through the running application's servlet stack: a job's per-sequence outcomes are paged with a cursor
 * (create, stop and detail never read a whole job), {@code GET /processing-groups} shows active jobs without their
 * outcomes, and an Idempotency-Key is scoped to the job's processing group.
 */
class RetryJobRestApiTest extends RestApiTestSupport {

    private static final String NOTHING = "{\"processingGroup\": \"%s\", \"filter\": {\"payloadType\": "
            + "\"com.example.Nothing\"}}";

    @Test
    void theDetailPagesItsOutcomesAndTheGroupListingShowsNoOutcomes() {
        List<String> mine = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            mine.add(store.sequenceKey(poisoned("paged", 1)));
        }
        // one sequence per batch, then an hour's cooldown: the job stays RUNNING with most sequences PENDING
        Http.Response created = http.post("/retry-jobs", "{\"processingGroup\": \"" + GROUP + "\", "
                + "\"batchSize\": 1, \"cooldown\": \"PT1H\"}");
        JsonNode job = ok(created);
        assertThat(created.status()).isEqualTo(202);
        String id = job.path("id").asText();
        try {
            int total = job.path("total").asInt();
            assertThat(total).isGreaterThanOrEqualTo(5);

            List<String> keys = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                JsonNode page = ok(http.get("/retry-jobs/" + id + "?limit=2"
                                                    + (cursor == null ? "" : "&cursor=" + cursor)));
                assertThat(page.path("id").asText()).isEqualTo(id);
                assertThat(page.path("sequences").size()).isBetween(1, 2);
                page.path("sequences").forEach(s -> keys.add(s.path("sequenceKey").asText()));
                cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
                pages++;
            } while (cursor != null);
            assertThat(keys).hasSize(total).doesNotHaveDuplicates().containsAll(mine);
            assertThat(pages).isEqualTo((total + 1) / 2);

            JsonNode firstPage = ok(http.get("/retry-jobs/" + id));
            assertThat(firstPage.path("sequences").size()).isEqualTo(Math.min(total, RequestParameters.DEFAULT_LIMIT));
            problem(http.get("/retry-jobs/" + id + "?cursor=not-a-cursor"), 400);
            problem(http.get("/retry-jobs/" + id + "?limit=501"), 400);

            JsonNode ledger = groupListing(GROUP);
            assertThat(ledger.path("activeRetryJob").path("id").asText()).isEqualTo(id);
            assertThat(ledger.path("activeRetryJob").has("sequences")).as("no outcomes in the listing").isFalse();
        } finally {
            JsonNode stopped = ok(http.post("/retry-jobs/" + id + "/stop", null));
            assertThat(stopped.path("state").asText()).isIn("STOPPED", "COMPLETED", "RUNNING");
        }
    }

    @Test
    void anIdempotencyKeyIsScopedToTheProcessingGroup() {
        String key = "scoped-" + System.nanoTime();
        JsonNode ledger = ok(http.post("/retry-jobs", NOTHING.formatted(GROUP), "Idempotency-Key", key));
        Http.Response replay = http.post("/retry-jobs", NOTHING.formatted(GROUP), "Idempotency-Key", key);
        assertThat(replay.status()).isEqualTo(200);
        assertThat(replay.json().path("id").asText()).isEqualTo(ledger.path("id").asText());

        Http.Response otherGroup = http.post("/retry-jobs", NOTHING.formatted(NotificationProjection.GROUP),
                                             "Idempotency-Key", key);
        assertThat(otherGroup.status()).as(otherGroup.toString()).isEqualTo(202);
        Set<String> ids = new HashSet<>(List.of(ledger.path("id").asText(), otherGroup.json().path("id").asText()));
        assertThat(ids).hasSize(2);
        // Still a conflict within the group when the request differs.
        problem(http.post("/retry-jobs", "{\"processingGroup\": \"" + GROUP + "\", \"batchSize\": 3}",
                          "Idempotency-Key", key), 422);
    }

    private JsonNode groupListing(String group) {
        for (JsonNode item : ok(http.get("/processing-groups")).path("items")) {
            if (item.path("name").asText().equals(group)) {
                return item;
            }
        }
        throw new AssertionError("no group " + group);
    }
}
