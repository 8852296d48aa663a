package io.axondlq.spring.web;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.spring.metrics.MicrometerDeadLetterObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.axonframework.config.Configuration;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.SequencedDeadLetterProcessor;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Axon's own way to retry dead letters, {@code EventProcessingConfiguration.sequencedDeadLetterProcessor(group)}
 * ({@code process(filter)}, {@code processAny()}), in the running test application (pooled processor, real poison
 * events): every letter it resolves moves {@code axon.dlq.redeliveries} once ({@code success} for each letter it
 * evicts, {@code failure} for the one it requeues) and gets a {@code redeliver-letter} audit entry by {@code system}
 * via {@code axon-dead-letter-processor}, committed with the change; a caller's transaction that rolls back keeps
 * both; a redelivery through the REST API is still counted once, with its own audit entries only. H2 here;
 * {@link PostgresAxonDeadLetterProcessorApplicationTest} on PostgreSQL.
 */
// A context of its own: processAny() must find this class's letters only.
@TestPropertySource(properties = "axon.dlq.export.max-concurrent=3")
class AxonDeadLetterProcessorApplicationTest extends RestApiTestSupport {

    @Autowired
    MeterRegistry registry;
    @Autowired
    Configuration axon;
    @Autowired
    DeadLetterOperations operations;
    @Autowired
    PlatformTransactionManager transactionManager;

    private double redeliveries(String outcome) {
        Counter counter = registry.find("axon.dlq.redeliveries")
                                  .tags(Tags.of(MicrometerDeadLetterObserver.GROUP_TAG, GROUP)
                                            .and(MicrometerDeadLetterObserver.OUTCOME_TAG, outcome))
                                  .counter();
        return counter == null ? 0 : counter.count();
    }

    private SequencedDeadLetterProcessor<EventMessage<?>> axonProcessor() {
        return axon.eventProcessingConfiguration().sequencedDeadLetterProcessor(GROUP).orElseThrow();
    }

    private static Predicate<DeadLetter<? extends EventMessage<?>>> sequenceOf(String account) {
        return letter -> letter.message() instanceof DomainEventMessage<?> domain
                && account.equals(domain.getAggregateIdentifier());
    }

    private List<UUID> letterIds(String account) {
        return store.sequenceLetters(GROUP, store.sequenceKey(account), -1, 100).stream().map(StoredLetter::id)
                    .toList();
    }

    /** The redeliver-letter audit rows of these letters: actor, outcome, target, parameters. */
    private List<Map<String, Object>> letterAudit(List<UUID> letterIds) {
        return jdbc.queryForList("SELECT actor, outcome, target, parameters, detail FROM axon_dlq_audit "
                                         + "WHERE action = 'redeliver-letter' ORDER BY occurred_at")
                   .stream()
                   .filter(row -> letterIds.stream().anyMatch(id -> id.toString().equals(row.get("target"))))
                   .toList();
    }

    private long ledgerEntries(String account) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class, account);
    }

    @Test
    void processFilterAfterTheCureCountsAndAuditsEveryLetterOnce() {
        String account = poisoned("axon-process", 3);
        String bystander = poisoned("axon-bystander", 2);
        List<UUID> ids = letterIds(account);
        double succeeded = redeliveries("success");
        double failed = redeliveries("failure");
        poison.cure(account);

        assertThat(axonProcessor().process(sequenceOf(account))).isTrue();

        assertThat(store.sequenceSize(GROUP, store.sequenceKey(account))).isZero();
        assertThat(ledgerEntries(account)).isEqualTo(3);
        assertThat(redeliveries("success")).isEqualTo(succeeded + 3);
        assertThat(redeliveries("failure")).isEqualTo(failed);
        List<Map<String, Object>> audit = letterAudit(ids);
        assertThat(audit).hasSize(3);
        assertThat(audit).extracting(row -> row.get("target")).containsExactlyInAnyOrderElementsOf(
                ids.stream().map(UUID::toString).toList());
        assertThat(audit).allSatisfy(row -> {
            assertThat(row.get("actor")).isEqualTo(DeadLetterOperations.SYSTEM);
            assertThat(row.get("outcome")).isEqualTo(DeadLetterOperations.SUCCESS);
            assertThat(String.valueOf(row.get("parameters")))
                    .contains(DeadLetterOperations.AXON_DEAD_LETTER_PROCESSOR);
        });
        // The filter: the other sequence was not touched.
        assertThat(store.sequenceSize(GROUP, store.sequenceKey(bystander))).isEqualTo(2);
        operations.evictSequence("test", GROUP, store.sequenceKey(bystander));
    }

    @Test
    void processWhileStillPoisonedCountsOneFailureAndAuditsTheKeptHead() {
        String account = poisoned("axon-fail", 3);
        List<UUID> ids = letterIds(account);
        double succeeded = redeliveries("success");
        double failed = redeliveries("failure");

        assertThat(axonProcessor().process(sequenceOf(account))).isFalse();

        assertThat(store.sequenceSize(GROUP, store.sequenceKey(account))).isEqualTo(3);
        assertThat(redeliveries("failure")).isEqualTo(failed + 1);
        assertThat(redeliveries("success")).isEqualTo(succeeded);
        List<Map<String, Object>> audit = letterAudit(ids);
        assertThat(audit).singleElement().satisfies(row -> {
            assertThat(row.get("target")).isEqualTo(ids.get(0).toString());
            assertThat(row.get("actor")).isEqualTo(DeadLetterOperations.SYSTEM);
            assertThat(row.get("outcome")).isEqualTo(DeadLetterOperations.FAILURE);
            assertThat(String.valueOf(row.get("detail"))).contains(IllegalStateException.class.getName());
        });

        // Cured: the whole sequence goes, three successes more.
        poison.cure(account);
        assertThat(axonProcessor().process(sequenceOf(account))).isTrue();
        assertThat(redeliveries("success")).isEqualTo(succeeded + 3);
        assertThat(redeliveries("failure")).isEqualTo(failed + 1);
        assertThat(letterAudit(ids)).hasSize(4);
    }

    @Test
    void processAnyCountsAndAuditsTheSequenceItDrains() {
        operations.eraseGroup("test", GROUP);
        String account = poisoned("axon-any", 3);
        List<UUID> ids = letterIds(account);
        double succeeded = redeliveries("success");
        double failed = redeliveries("failure");
        long auditRows = jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class);
        poison.cure(account);

        assertThat(axonProcessor().processAny()).isTrue();
        assertThat(axonProcessor().processAny()).isFalse();

        assertThat(store.size(GROUP)).isZero();
        assertThat(redeliveries("success")).isEqualTo(succeeded + 3);
        assertThat(redeliveries("failure")).isEqualTo(failed);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit", Long.class)).isEqualTo(auditRows + 3);
        assertThat(letterAudit(ids)).hasSize(3).allSatisfy(
                row -> assertThat(row.get("outcome")).isEqualTo(DeadLetterOperations.SUCCESS));
    }

    @Test
    void aCallersTransactionThatRollsBackKeepsLettersCountersAndAudit() {
        String account = poisoned("axon-rollback", 2);
        List<UUID> ids = letterIds(account);
        double succeeded = redeliveries("success");
        poison.cure(account);

        // Axon's process() runs in the caller's transaction by contract (no RedeliveryInTransactionException).
        new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            assertThat(axonProcessor().process(sequenceOf(account))).isTrue();
            status.setRollbackOnly();
        });

        assertThat(store.sequenceSize(GROUP, store.sequenceKey(account))).isEqualTo(2);
        assertThat(ledgerEntries(account)).isZero();
        assertThat(redeliveries("success")).as("nothing committed, nothing counted").isEqualTo(succeeded);
        assertThat(letterAudit(ids)).isEmpty();
        operations.evictSequence("test", GROUP, store.sequenceKey(account));
    }

    @Test
    void aRedeliveryThroughTheRestApiIsCountedOnceWithItsOwnAuditEntries() {
        String account = poisoned("rest-once", 3);
        List<UUID> ids = letterIds(account);
        double succeeded = redeliveries("success");
        double failed = redeliveries("failure");

        ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));
        assertThat(redeliveries("failure")).isEqualTo(failed + 1);
        poison.cure(account);
        assertThat(ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null))
                           .path("redelivered").asInt()).isEqualTo(3);

        assertThat(redeliveries("success")).isEqualTo(succeeded + 3);
        assertThat(redeliveries("failure")).isEqualTo(failed + 1);
        List<Map<String, Object>> audit = letterAudit(ids);
        assertThat(audit).hasSize(4).allSatisfy(row -> {
            assertThat(row.get("actor")).isEqualTo(OPERATOR);
            assertThat(String.valueOf(row.get("parameters")))
                    .doesNotContain(DeadLetterOperations.AXON_DEAD_LETTER_PROCESSOR);
        });
    }

    // --- removals through Axon's queue API ----------------------------------------------------------------------

    private SequencedDeadLetterQueue<EventMessage<?>> axonQueue() {
        return axon.eventProcessingConfiguration().deadLetterQueue(GROUP).orElseThrow();
    }

    /** The audit rows of {@code action} with {@code target}: actor, outcome, parameters, detail. */
    private List<Map<String, Object>> audit(String action, String target) {
        return jdbc.queryForList("SELECT actor, outcome, parameters, detail FROM axon_dlq_audit WHERE action = ? "
                                         + "AND target = ? ORDER BY occurred_at", action, target);
    }

    private double evictedByOperator() {
        Counter counter = registry.find(MicrometerDeadLetterObserver.EVICTED)
                                  .tags(Tags.of(MicrometerDeadLetterObserver.GROUP_TAG, GROUP)).tag("reason", "operator")
                                  .counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void evictThroughAxonsQueueApiIsAuditedWithTheRemoval() {
        String account = poisoned("axon-evict", 2);
        List<UUID> ids = letterIds(account);
        double evicted = evictedByOperator();
        DeadLetter<? extends EventMessage<?>> head =
                axonQueue().deadLetterSequence(account).iterator().next();

        axonQueue().evict(head);

        assertThat(letterIds(account)).containsExactly(ids.get(1));
        assertThat(evictedByOperator()).isEqualTo(evicted + 1);
        assertThat(audit(DeadLetterOperations.EVICT_LETTER, ids.get(0).toString())).singleElement().satisfies(row -> {
            assertThat(row.get("actor")).isEqualTo(DeadLetterOperations.SYSTEM);
            assertThat(row.get("outcome")).isEqualTo(DeadLetterOperations.SUCCESS);
            assertThat(String.valueOf(row.get("parameters"))).contains(DeadLetterOperations.AXON_QUEUE_API)
                                                             .contains(ids.get(0).toString());
        });
        operations.evictSequence("test", GROUP, store.sequenceKey(account));
    }

    @Test
    void clearThroughAxonsQueueApiIsAuditedWithTheRemoval() {
        operations.eraseGroup("test", GROUP);
        poisoned("axon-clear", 2);
        poisoned("axon-clear-too", 1);
        double evicted = evictedByOperator();

        axonQueue().clear();

        assertThat(store.size(GROUP)).isZero();
        assertThat(evictedByOperator()).isEqualTo(evicted + 3);
        assertThat(audit(DeadLetterOperations.ERASE_GROUP, GROUP)).last().satisfies(row -> {
            assertThat(row.get("actor")).isEqualTo(DeadLetterOperations.SYSTEM);
            assertThat(row.get("outcome")).isEqualTo(DeadLetterOperations.SUCCESS);
            assertThat(String.valueOf(row.get("parameters"))).contains(DeadLetterOperations.AXON_QUEUE_API);
            assertThat(String.valueOf(row.get("detail"))).contains("3 letters");
        });
    }

    @Test
    void anEvictInACallersTransactionThatRollsBackKeepsTheLetterAndLeavesNoAuditEntry() {
        String account = poisoned("axon-evict-rollback", 1);
        List<UUID> ids = letterIds(account);
        double evicted = evictedByOperator();

        new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            axonQueue().evict(axonQueue().deadLetterSequence(account).iterator().next());
            status.setRollbackOnly();
        });

        assertThat(letterIds(account)).isEqualTo(ids);
        assertThat(evictedByOperator()).isEqualTo(evicted);
        assertThat(audit(DeadLetterOperations.EVICT_LETTER, ids.get(0).toString())).isEmpty();
        operations.evictSequence("test", GROUP, store.sequenceKey(account));
    }

    /** The audit rows written as removals through Axon's queue API. */
    private long axonQueueApiEntries() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_audit WHERE action IN (?, ?) AND parameters LIKE ?",
                                   Long.class, DeadLetterOperations.EVICT_LETTER, DeadLetterOperations.ERASE_GROUP,
                                   "%" + DeadLetterOperations.AXON_QUEUE_API + "%");
    }

    /**
     * Our own removals (an operator's eviction and erase) do not go through Axon's queue API, so they are audited once,
     * as the operator's, with no second entry via {@code axon-queue-api}; and a {@code clear} in a caller's
     * transaction that rolls back keeps the letters and leaves no entry.
     */
    @Test
    void ownRemovalsAreNotAuditedAsAxonQueueApiRemovalsAndARolledBackClearLeavesNoEntry() {
        operations.eraseGroup("test", GROUP);
        String evictedAccount = poisoned("own-evict", 2);
        long before = axonQueueApiEntries();

        operations.evictSequence("test", GROUP, store.sequenceKey(evictedAccount));
        poisoned("own-erase", 1);
        operations.eraseGroup("test", GROUP);
        assertThat(axonQueueApiEntries()).as("entries via axon-queue-api after our own removals").isEqualTo(before);

        String kept = poisoned("axon-clear-rollback", 2);
        List<UUID> ids = letterIds(kept);
        double evicted = evictedByOperator();
        new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            axonQueue().clear();
            status.setRollbackOnly();
        });

        assertThat(letterIds(kept)).isEqualTo(ids);
        assertThat(evictedByOperator()).isEqualTo(evicted);
        assertThat(axonQueueApiEntries()).as("entries via axon-queue-api after the rolled-back clear").isEqualTo(before);
        operations.eraseGroup("test", GROUP);
    }
}
