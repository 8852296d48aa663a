package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.axondlq.core.InvokerFixture.fastRetry;
import static io.axondlq.core.InvokerFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Without savepoints a failed attempt is kept for the processor's replay of its batch. When the processor stops
 * before that replay and another node resets the tokens (this node's invoker hears nothing of that reset), the event
 * comes back as part of the reset's replay: a new run, which must invoke the handlers again rather than conclude from
 * the failure of the run before the reset (failed before on both databases: the replayed event was dead-lettered with
 * the old cause, its now healthy handler never invoked).
 */
abstract class ReplayRecordAcrossResetIntegrationTest extends InvokerTestBase {

    @Test
    void aFailureKeptBeforeAnotherNodesResetIsNotAppliedToTheResetsReplay() {
        InvokerFixture a = fixture;
        // One attempt: the kept failure says "dead-letter", which the replay must not act on.
        Options options = Options.of(ProcessorType.TRACKING).segments(1).batchSize(10)
                                 .settings(settings(fastRetry(1).build()))
                                 .savepoints(ds -> Savepoints.NONE);
        a.handler.faults.failWith.put("X#0", () -> new IllegalStateException("X#0 fails before the reset"));
        a.start(options);
        a.publish(List.of(a.next("X")));

        // The tracking processor rolls the batch back and retries it after about a second: stop before that.
        eventually().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(1))
                    .until(() -> a.handler.invocations("X#0") >= 1);
        StreamingEventProcessor processorOfA = a.processor();
        processorOfA.shutDown();
        assertThat(a.handler.invocations("X#0")).as("the processor's own replay of the batch had not run yet")
                                                .isEqualTo(1);
        assertThat(a.sequenceSize("X")).as("nothing concluded before the stop").isZero();

        a.handler.faults.failWith.clear();
        InvokerFixture b = a.otherNode("node-B");
        b.build(options);
        try {
            b.processor().resetTokens();
            processorOfA.start();

            eventually().untilAsserted(() -> assertThat(a.projected("X"))
                    .as("X#0 handled in the replay (invoked %d times, letters of X: %d, tokens reset: %d)",
                        a.handler.invocations("X#0"), a.sequenceSize("X"), a.handler.resets.get())
                    .containsExactly(0L));
            eventually().until(a::tokensAtHead);
            assertThat(a.handler.invocations("X#0")).as("invoked again in the reset's replay").isEqualTo(2);
            assertThat(a.sequenceSize("X")).as("no letter from the earlier run's failure").isZero();
        } finally {
            b.close();
        }
    }
}
