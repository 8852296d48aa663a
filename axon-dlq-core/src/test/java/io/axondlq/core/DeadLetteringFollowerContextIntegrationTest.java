package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.testsupport.PerClassDatabaseExtension;
import io.axondlq.testsupport.TestDataSource;
import io.axondlq.testsupport.TestDatabase;
import org.awaitility.core.ConditionFactory;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;

import static io.axondlq.core.InvokerFixture.GROUP;
import static io.axondlq.core.InvokerFixture.PROCESSOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 10, bug 6: when a sequence this node believes parked has been drained meanwhile (here by a redelivery on
 * another node, which this node's parked set does not hear of), its next event is handled live. That handling must
 * happen at the event's own position, inside the processor's interceptor chain for that event, with the unit of work
 * naming that event: anything the handler publishes carries the event's correlation data. Two drained sequences (X,
 * Q) in one batch, so that a follower handled in another event's context shows in its correlation data too.
 */
@ExtendWith(PerClassDatabaseExtension.class)
abstract class DeadLetteringFollowerContextIntegrationTest {

    /** What a live handler invocation saw of its unit of work and of the processor's interceptor chain. */
    private record Seen(String unitOfWorkMessageId, MetaData correlationData, String interceptedMessageId) {
    }

    @TestDataSource
    DataSource pool;

    @TestDataSource
    TestDatabase database;

    private InvokerFixture a;
    private InvokerFixture b;

    @BeforeEach
    void prepare() {
        InvokerFixture.prepareDatabase(database, pool);
        a = new InvokerFixture(database, pool, pool, "node-A", Duration.ofSeconds(10));
        b = a.otherNode("node-B");
    }

    @AfterEach
    void shutDown() {
        b.close();
        a.close();
    }

    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10));
    }

    @Test
    void followerOfASequenceDrainedElsewhereIsHandledInItsOwnInterceptorChainAndUnitOfWork() throws Exception {
        RecordingInterceptor interceptor = new RecordingInterceptor();
        Options options = Options.of(ProcessorType.TRACKING).segments(1).batchSize(10)
                                 .customizer(ep -> ep.registerHandlerInterceptor(PROCESSOR, c -> interceptor));
        a.start(options);
        a.publish(List.of(a.next("X"), a.next("Q")));
        eventually().untilAsserted(() -> {
            assertThat(a.projected("X")).containsExactly(0L);
            assertThat(a.projected("Q")).containsExactly(0L);
        });
        a.handler.faults.poisoned.addAll(List.of("X", "Q"));
        a.publish(List.of(a.next("X"), a.next("Q")));
        eventually().untilAsserted(() -> {
            assertThat(a.sequenceSize("X")).isEqualTo(1);
            assertThat(a.sequenceSize("Q")).isEqualTo(1);
        });
        eventually().until(a::tokensAtHead);
        a.handler.faults.clear();

        // Node B (its processor stopped: A holds the segment) redelivers X and Q: A's parked set still says "parked".
        b.start(options);
        b.processor().shutDown();
        for (String aggregate : List.of("X", "Q")) {
            RedeliveryResult drained = b.redeliverer().redeliver(GROUP, b.key(aggregate));
            assertThat(drained.outcome()).as("%s", drained).isEqualTo(RedeliveryResult.Outcome.DRAINED);
            assertThat(a.projected(aggregate)).containsExactly(0L, 1L);
        }

        // A handles H0 and holds it, so that X2, Q2 and G0 are read together, as one batch, once H0 is done.
        Map<String, Seen> seen = new ConcurrentHashMap<>();
        CountDownLatch h0Entered = new CountDownLatch(1);
        CountDownLatch releaseH0 = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        a.handler.hook = (event, redelivery) -> {
            if (redelivery) {
                return;
            }
            UnitOfWork<?> unitOfWork = CurrentUnitOfWork.get();
            seen.put(event.key(), new Seen(unitOfWork.getMessage().getIdentifier(), unitOfWork.getCorrelationData(),
                                           RecordingInterceptor.interceptedMessageId()));
            if (event.key().equals("H#0") && first.compareAndSet(true, false)) {
                h0Entered.countDown();
                if (!releaseH0.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("H0 not released in time");
                }
            }
        };
        EventMessage<?> x2;
        EventMessage<?> q2;
        EventMessage<?> g0;
        try {
            a.publish(List.of(a.next("H")));
            assertThat(h0Entered.await(30, TimeUnit.SECONDS)).isTrue();
            x2 = a.next("X");
            q2 = a.next("Q");
            g0 = a.next("G");
            a.publish(List.of(x2, q2, g0));
        } finally {
            releaseH0.countDown();
        }
        eventually().untilAsserted(() -> {
            assertThat(a.projected("X")).hasSize(3);
            assertThat(a.projected("Q")).hasSize(3);
            assertThat(a.projected("G")).containsExactly(0L);
        });
        eventually().until(a::tokensAtHead);

        // Whether X2, Q2 and G0 land in one batch is the processor's timing (on a loaded machine the event store's
        // producer can split them). It no longer matters: a follower of a parked sequence is deferred to its batch's
        // flush, where it is found drained and handled, so every follower takes the path under test.
        for (String aggregate : List.of("X", "Q")) {
            assertThat(a.projected(aggregate)).containsExactly(0L, 1L, 2L);
            assertThat(a.redeliveredFlags(aggregate)).containsExactly(false, true, false);
            assertThat(a.handler.invocations(aggregate + "#2")).isEqualTo(1);
        }
        assertThat(a.store.size(GROUP)).isZero();
        // Every facet at once, so a failure shows the whole context the handler ran in.
        SoftAssertions softly = new SoftAssertions();
        for (EventMessage<?> event : List.of(x2, q2, g0)) {
            String key = ((ThingHappened) event.getPayload()).key();
            Seen context = seen.get(key);
            assertThat(context).as("%s handled live", key).isNotNull();
            String others = "(X#2 is " + x2.getIdentifier() + ", Q#2 is " + q2.getIdentifier() + ", G#0 is "
                    + g0.getIdentifier() + ")";
            softly.assertThat(context.interceptedMessageId())
                  .as("%s runs inside the processor's interceptor chain for itself %s", key, others)
                  .isEqualTo(event.getIdentifier());
            softly.assertThat(context.unitOfWorkMessageId()).as("%s: the unit of work's message %s", key, others)
                  .isEqualTo(event.getIdentifier());
            softly.assertThat(context.correlationData().get("correlationId"))
                  .as("%s: correlation id %s", key, others).isEqualTo(event.getIdentifier());
            softly.assertThat(context.correlationData().get("traceId")).as("%s: trace id %s", key, others)
                  .isEqualTo(event.getIdentifier());
        }
        softly.assertAll();
    }
}
