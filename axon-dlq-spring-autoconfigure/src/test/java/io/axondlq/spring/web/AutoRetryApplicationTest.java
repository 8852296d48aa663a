package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.jobs.AutoRetryScheduler;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.axonframework.config.EventProcessingConfiguration;
import org.axonframework.eventhandling.EventProcessor;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Automatic retry switched on in the running test application ({@code axon.dlq.auto-retry.*}): a sequence that keeps
 * failing is redelivered once per schedule entry and then left for an operator; a fixed one is drained. Each automatic
 * redelivery is in the audit log as {@code system} and in {@code axon.dlq.redeliveries}.
 */
@TestPropertySource(properties = {"axon.dlq.auto-retry.enabled=true", "axon.dlq.auto-retry.schedule=200ms,300ms",
        "axon.dlq.auto-retry.poll-interval=50ms"})
class AutoRetryApplicationTest extends RestApiTestSupport {

    @Autowired
    AutoRetryScheduler scheduler;

    @Autowired
    io.axondlq.spring.jobs.JobWorkerLifecycle worker;

    @Autowired
    MeterRegistry registry;

    @Autowired
    EventProcessingConfiguration processing;

    private double redeliveries(String outcome) {
        Counter counter = registry.find("axon.dlq.redeliveries").tag(MicrometerDeadLetterObserver.GROUP_TAG, GROUP)
                                  .tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aSequenceThatKeepsFailingIsRetriedPerScheduleThenWaitsForAnOperator() {
        assertThat(worker.isRunning()).isTrue();
        double failedBefore = redeliveries("failure");
        String account = poisoned("auto-broken", 2);

        await().atMost(Duration.ofSeconds(30))
               .until(() -> scheduler.state(GROUP, account).map(io.axondlq.core.store.AutomaticRetryState::retries).orElse(0)
                       == 2);
        // nothing more once the schedule is used up
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
               .until(() -> autoRetries(account).size() == 2);

        List<JsonNode> entries = autoRetries(account);
        assertThat(entries).extracting(e -> e.path("actor").asText()).containsOnly("system");
        assertThat(entries).extracting(e -> e.path("outcome").asText()).containsOnly("failure");
        assertThat(entries.get(1).path("detail").asText()).contains("waits for an operator");
        assertThat(redeliveries("failure")).isGreaterThanOrEqualTo(failedBefore + 2);
        assertThat(letters(account)).hasSize(2);
        assertThat(letters(account).get(0).path("attempts").asInt()).isEqualTo(2 + 2);
    }

    @Test
    void aFixedSequenceIsDrainedAutomatically() {
        double succeededBefore = redeliveries("success");
        String account = poisoned("auto-fixed", 2);
        poison.cure(account);

        await().atMost(Duration.ofSeconds(30)).until(() -> !store.contains(GROUP, account));

        // (normally one entry; two if the first retry came before the cure)
        List<JsonNode> entries = autoRetries(account);
        assertThat(entries).isNotEmpty().extracting(e -> e.path("actor").asText()).containsOnly("system");
        JsonNode last = entries.get(entries.size() - 1);
        assertThat(last.path("outcome").asText()).isEqualTo("success");
        assertThat(last.path("detail").asText()).startsWith("DRAINED: redelivered 2");
        assertThat(redeliveries("success")).isGreaterThanOrEqualTo(succeededBefore + 2);
        assertThat(scheduler.state(GROUP, account)).isEmpty();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class,
                                       account)).isEqualTo(2);
    }

    /**
     * The group's processor stopped on this node (the application's auto-configured wiring, a real pooled streaming
     * processor): automatic retry runs none of its handlers here while it is stopped, though the sequence is due; once
     * the processor runs again, it drains the sequence.
     */
    @Test
    void aGroupWhoseProcessorIsStoppedHereIsNotRetriedHere() {
        String account = poisoned("auto-stopped", 1);
        EventProcessor processor = processing.eventProcessorByProcessingGroup(GROUP).orElseThrow();
        processor.shutDown();
        try {
            poison.cure(account);
            assertThat(processor.isRunning()).isFalse();
            // The interleaving: the sequence is due while the processor is stopped, over many polls.
            await().atMost(Duration.ofSeconds(30)).until(() -> store.dueForAutomaticRetry(
                    GROUP, List.of(Duration.ofMillis(200), Duration.ofMillis(300)), 100).stream()
                                                                 .anyMatch(d -> d.sequenceKey().equals(account)));
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
                   .until(() -> store.contains(GROUP, account));
            assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class,
                                           account)).as("no handler ran through the stopped processor").isZero();
        } finally {
            processor.start();
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> !store.contains(GROUP, account));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class,
                                       account)).isEqualTo(1);
    }

    private List<JsonNode> autoRetries(String account) {
        return all("/audit", 500).stream()
                                 .filter(e -> e.path("action").asText().equals(AutoRetryScheduler.AUDIT_ACTION)
                                         && e.path("target").asText().equals(account))
                                 .toList();
    }
}
