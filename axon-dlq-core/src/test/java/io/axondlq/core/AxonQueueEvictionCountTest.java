package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.observe.DeadLetterObserver;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.SequencedDeadLetterQueue;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.transaction.support.TransactionTemplate;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.axondlq.core.InvokerFixture.GROUP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Axon's own API on an axon-dlq group's queue ({@code EventProcessingConfiguration.deadLetterQueue(group)}, which
 * axon-dlq's module answers with its {@code GroupDeadLetterQueue}, observed so that
 * {@code sequencedDeadLetterProcessor(group)} is counted): removing letters there must reach
 * {@code axon.dlq.evicted} as well, else the counters no longer add up (letters = enqueued + parked - redelivered -
 * evicted) and the letters gauge drops with no counter to say why. Counted once the removal commits, never for one
 * that rolls back. Subclassed per database.
 */
abstract class AxonQueueEvictionCountTest extends InvokerTestBase {

    private final List<String> evictions = new CopyOnWriteArrayList<>();
    private InvokerFixture f;
    private SequencedDeadLetterQueue<EventMessage<?>> queue;

    @BeforeEach
    void parkTwoSequences() {
        DeadLetterObserver observer = new DeadLetterObserver() {
            @Override
            public void evicted(String processingGroup, int letters, String reason) {
                evictions.add(processingGroup + ":" + letters + ":" + reason);
            }
        };
        f = fixture.start(Options.of(ProcessorType.POOLED).observer(observer));
        f.park(2, "A", "B");
        queue = f.config.eventProcessingConfiguration().deadLetterQueue(GROUP).orElseThrow();
    }

    @Test
    void evictAndClearThroughAxonsQueueAreCountedAsEvictions() {
        DeadLetter<? extends EventMessage<?>> head = queue.deadLetterSequence(f.key("A")).iterator().next();
        queue.evict(head);
        queue.clear();

        assertThat(f.store.size(GROUP)).as("every letter removed").isZero();
        assertThat(evictions.stream().mapToInt(e -> Integer.parseInt(e.split(":")[1])).sum())
                .as("letters counted by axon.dlq.evicted (%s)", evictions).isEqualTo(4);
        assertThat(evictions).allMatch(e -> e.startsWith(GROUP + ":") && e.endsWith(":operator"));
    }

    @Test
    void removalsInACallersTransactionAreCountedWhenItCommits() {
        new TransactionTemplate(f.springTransactions).executeWithoutResult(status -> {
            queue.evict(queue.deadLetterSequence(f.key("A")).iterator().next());
            queue.clear();
            assertThat(evictions).as("nothing counted before the commit").isEmpty();
        });

        assertThat(f.store.size(GROUP)).isZero();
        assertThat(evictions).containsExactly(GROUP + ":1:operator", GROUP + ":3:operator");
    }

    @Test
    void removalsRolledBackAreNotCounted() {
        new TransactionTemplate(f.springTransactions).executeWithoutResult(status -> {
            queue.evict(queue.deadLetterSequence(f.key("A")).iterator().next());
            queue.clear();
            status.setRollbackOnly();
        });

        assertThat(f.store.size(GROUP)).as("every letter still there").isEqualTo(4);
        assertThat(evictions).as("no eviction counted").isEmpty();
    }
}
