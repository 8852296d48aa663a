package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.spring.metrics.DeadLetterGauges;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Metrics and health in the running test application (pooled processor, real poison events, Actuator with the
 * Prometheus registry): after a poison event the counters {@code axon.dlq.enqueued}, {@code parked} and
 * {@code retries} move, after a redelivery {@code redeliveries}, after an operator's eviction {@code evicted}; the
 * gauges show letters and sequences after a refresh; {@code /actuator/prometheus} serves all of them. The
 * {@code deadLetters} health indicator is UP with letters and reports the threshold status above the threshold,
 * without pulling the overall health down.
 */
@AutoConfigureObservability(tracing = false) // Spring Boot tests switch metrics export (Prometheus) off otherwise
@TestPropertySource(properties = {"axon.dlq.metrics.refresh-interval=100ms", "axon.dlq.health.threshold=3"})
class MetricsAndHealthApplicationTest extends RestApiTestSupport {

    private static final String CAUSE = IllegalStateException.class.getName();

    @Autowired
    MeterRegistry registry;
    @Autowired
    io.axondlq.core.operations.DeadLetterOperations operations;

    private double counter(String name, String... tags) {
        Counter counter = registry.find(name).tags(Tags.of(MicrometerDeadLetterObserver.GROUP_TAG, GROUP).and(tags))
                                  .counter();
        return counter == null ? 0 : counter.count();
    }

    private double gauge(String name) {
        Gauge gauge = registry.find(name).tag(MicrometerDeadLetterObserver.GROUP_TAG, GROUP).gauge();
        return gauge == null ? -1 : gauge.value();
    }

    @Test
    void aPoisonEventARedeliveryAndAnEvictionAreCounted() {
        double enqueued = counter("axon.dlq.enqueued", "causeType", CAUSE);
        double parked = counter("axon.dlq.parked");
        double retries = counter("axon.dlq.retries", "causeType", CAUSE);
        double succeeded = counter("axon.dlq.redeliveries", "outcome", "success");
        double failed = counter("axon.dlq.redeliveries", "outcome", "failure");
        double evicted = counter("axon.dlq.evicted", "reason", "operator");

        // one poison event and two events of its aggregate parked behind it; max-attempts=2: one retry in place
        String account = poisoned("metrics", 3);

        // counted once the batch committed, just after its letters became visible
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(counter("axon.dlq.enqueued", "causeType", CAUSE)).isEqualTo(enqueued + 1);
            assertThat(counter("axon.dlq.parked")).isEqualTo(parked + 2);
            assertThat(counter("axon.dlq.retries", "causeType", CAUSE)).isEqualTo(retries + 1);
        });
        awaitGauges();

        // a failed redelivery of the head, then a successful one of all three
        ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));
        assertThat(counter("axon.dlq.redeliveries", "outcome", "failure")).isEqualTo(failed + 1);
        poison.cure(account);
        assertThat(ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null))
                           .path("redelivered").asInt()).isEqualTo(3);
        assertThat(counter("axon.dlq.redeliveries", "outcome", "success")).isEqualTo(succeeded + 3);

        // operator evictions: a letter, a sequence, everything
        String evict = poisoned("metrics-evict", 3);
        String other = poisoned("metrics-erase", 2);
        ok(http.delete("/letters/" + letters(evict).get(2).path("id").asText()));
        assertThat(counter("axon.dlq.evicted", "reason", "operator")).isEqualTo(evicted + 1);
        ok(http.delete("/processing-groups/ledger/sequences/" + evict));
        assertThat(counter("axon.dlq.evicted", "reason", "operator")).isEqualTo(evicted + 3);
        long all = store.size(GROUP);
        assertThat(all).isGreaterThanOrEqualTo(2);
        assertThat(ok(http.delete("/processing-groups/ledger/letters?confirm=ledger")).path("removed").asLong())
                .isEqualTo(all);
        assertThat(counter("axon.dlq.evicted", "reason", "operator")).isEqualTo(evicted + 3 + all);
        assertThat(letters(other)).isEmpty();
        // nothing left: the gauges come down to zero on their next refresh
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(gauge(DeadLetterGauges.LETTERS)).isZero();
            assertThat(gauge(DeadLetterGauges.SEQUENCES)).isZero();
            assertThat(gauge(DeadLetterGauges.OLDEST_AGE)).isZero();
        });
    }

    /**
     * A handler's after-commit callback that throws once a letter's removal committed: the redelivery took effect, so
     * the response says DRAINED and the metrics count successes, no failure (it used to answer LEASE_LOST for the
     * sequence's last letter and FAILED for an earlier one, and count a failure).
     */
    @Test
    void aRedeliveryWhoseHandlersAfterCommitCallbackThrowsIsReportedAndCountedAsRedelivered() {
        double succeeded = counter("axon.dlq.redeliveries", "outcome", "success");
        double failed = counter("axon.dlq.redeliveries", "outcome", "failure");
        String account = poisoned("after-commit", 2);
        poison.cure(account);
        poison.failAfterCommit(account);

        JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));

        assertThat(result.path("outcome").asText()).as("%s", result).isEqualTo("DRAINED");
        assertThat(result.path("redelivered").asInt()).isEqualTo(2);
        assertThat(result.path("remaining").asLong()).isZero();
        assertThat(letters(account)).isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class, account))
                .as("each event's ledger row once").isEqualTo(2);
        assertThat(counter("axon.dlq.redeliveries", "outcome", "success")).isEqualTo(succeeded + 2);
        assertThat(counter("axon.dlq.redeliveries", "outcome", "failure")).isEqualTo(failed);
    }

    /** The Java API (the operations bean) is counted and audited like the REST API: no path skips either. */
    @Test
    void anEvictionThroughTheJavaApiIsCountedAndAudited() {
        double evicted = counter("axon.dlq.evicted", "reason", "operator");
        String account = poisoned("metrics-java-api", 3);
        java.util.UUID head = java.util.UUID.fromString(letters(account).get(0).path("id").asText());

        operations.evictLetter("java-caller", head);
        assertThat(counter("axon.dlq.evicted", "reason", "operator")).isEqualTo(evicted + 1);
        operations.evictSequence("java-caller", GROUP, account);
        assertThat(counter("axon.dlq.evicted", "reason", "operator")).isEqualTo(evicted + 3);

        List<AuditEntry> entries = new java.util.ArrayList<>();
        String cursor = null;
        do {
            var page = operations.auditEntries(500, cursor);
            entries.addAll(page.items());
            cursor = page.nextCursor();
        } while (cursor != null);
        assertThat(entries).filteredOn(e -> e.action().equals("evict-letter") && e.target().equals(head.toString()))
                           .singleElement()
                           .satisfies(e -> assertThat(e.actor()).isEqualTo("java-caller"));
        assertThat(entries).filteredOn(e -> e.action().equals("evict-sequence") && e.target().equals(account))
                           .singleElement()
                           .satisfies(e -> {
                               assertThat(e.actor()).isEqualTo("java-caller");
                               assertThat(e.detail()).isEqualTo("removed 2 letters");
                           });
    }

    @Test
    void prometheusServesTheCountersAndGaugesWithCamelCaseTags() {
        poisoned("prometheus", 2);
        String account = poisoned("prometheus-fixed", 1);
        poison.cure(account);
        ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));
        ok(http.delete("/processing-groups/ledger/sequences/" + poisoned("prometheus-evicted", 1)));
        awaitGauges();

        String scrape = anonymous.sendRaw("GET", "/actuator/prometheus", null).body();

        String group = "processingGroup=\"ledger\"";
        String cause = "causeType=\"" + CAUSE + "\"";
        assertThat(value(scrape, "axon_dlq_enqueued_total", group, cause)).isGreaterThanOrEqualTo(3);
        assertThat(value(scrape, "axon_dlq_parked_total", group)).isGreaterThanOrEqualTo(1);
        assertThat(value(scrape, "axon_dlq_retries_total", group, cause)).isGreaterThanOrEqualTo(3);
        assertThat(value(scrape, "axon_dlq_redeliveries_total", group, "outcome=\"success\"")).isGreaterThanOrEqualTo(1);
        assertThat(value(scrape, "axon_dlq_evicted_total", group, "reason=\"operator\"")).isGreaterThanOrEqualTo(1);
        assertThat(value(scrape, "axon_dlq_letters", group)).isGreaterThanOrEqualTo(2);
        assertThat(value(scrape, "axon_dlq_sequences", group)).isGreaterThanOrEqualTo(1);
        assertThat(value(scrape, "axon_dlq_oldest_age_seconds", group)).isGreaterThanOrEqualTo(0);
        // the old names are gone
        assertThat(scrape).doesNotContain("axon_dlq_letters_enqueued").doesNotContain("processing_group=")
                          .doesNotContain("axon_dlq_events_retried");
    }

    @Test
    void healthIsUpWithLettersAndReportsTheThresholdStatusAboveTheThreshold() {
        store.evictGroup(GROUP);
        JsonNode empty = health("/actuator/health/deadLetters", 200);
        assertThat(empty.path("status").asText()).isEqualTo("UP");
        assertThat(empty.path("details").path("threshold").asLong()).isEqualTo(3);

        String account = poisoned("health", 3);
        JsonNode up = health("/actuator/health/deadLetters", 200);
        assertThat(up.path("status").asText()).as("dead letters alone never make it unhealthy").isEqualTo("UP");
        JsonNode ledger = up.path("details").path("groups").path(GROUP);
        assertThat(ledger.path("letters").asLong()).isEqualTo(3);
        assertThat(ledger.path("sequences").asLong()).isEqualTo(1);
        assertThat(ledger.path("oldestEnqueuedAt").asText()).isNotBlank();

        accounts.creditAndAwaitLetters(account, 1);
        JsonNode degraded = health("/actuator/health/deadLetters", 200);
        assertThat(degraded.path("status").asText()).isEqualTo("DEGRADED");
        assertThat(degraded.path("details").path("aboveThreshold")).extracting(JsonNode::asText).containsExactly(GROUP);
        // DEGRADED is not in the default status order: the application's health (and liveness) stays UP
        JsonNode overall = health("/actuator/health", 200);
        assertThat(overall.path("status").asText()).isEqualTo("UP");
        assertThat(overall.path("components").path("deadLetters").path("status").asText()).isEqualTo("DEGRADED");
        store.evictGroup(GROUP);
    }

    private JsonNode health(String path, int status) {
        Http.Response response = anonymous.sendRaw("GET", path, null);
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        return response.json();
    }

    private void awaitGauges() {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            long letters = store.size(GROUP);
            long sequences = store.sequenceCount(GROUP);
            assertThat(gauge(DeadLetterGauges.LETTERS)).isEqualTo(letters);
            assertThat(gauge(DeadLetterGauges.SEQUENCES)).isEqualTo(sequences);
            assertThat(gauge(DeadLetterGauges.OLDEST_AGE)).isGreaterThanOrEqualTo(0);
        });
    }

    /** The value of the first sample of {@code metric} whose labels contain all of {@code labels}; -1 if none. */
    private static double value(String scrape, String metric, String... labels) {
        for (String line : scrape.lines().toList()) {
            if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) {
                continue;
            }
            if (List.of(labels).stream().allMatch(line::contains)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("No sample " + metric + " " + List.of(labels) + " in\n"
                                         + scrape.lines().filter(l -> l.startsWith("axon_dlq")).toList());
    }
}
