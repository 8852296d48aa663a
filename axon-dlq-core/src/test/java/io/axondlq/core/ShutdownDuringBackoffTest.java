package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;

import static io.axondlq.core.InvokerFixture.fastRetry;
import static io.axondlq.core.InvokerFixture.settings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A processor asked to stop while an event waits for its next retry stops without running the rest of the retry chain
 * and without dead-lettering the event on its way out: the back-off ends, the batch rolls back, and the event is
 * handled again after the restart. Before, the back-off was a plain sleep that did not look at the processor: a
 * pooled processor's {@code shutDown()} ran every remaining attempt (6, 2 s apart) and then dead-lettered the event;
 * a tracking processor's waited until Axon's worker termination timeout interrupted its thread, attempts running
 * meanwhile.
 */
abstract class ShutdownDuringBackoffTest extends InvokerTestBase {

    @ParameterizedTest
    @EnumSource(value = ProcessorType.class, names = {"TRACKING", "POOLED"})
    void aProcessorStoppedDuringARetryBackoffRunsNoFurtherAttemptAndDeadLettersNothing(ProcessorType type) {
        Options options = Options.of(type).segments(1).batchSize(1)
                                 .settings(settings(fastRetry(6).initialBackoff(Duration.ofSeconds(2))
                                                                .maxBackoff(Duration.ofSeconds(2))
                                                                .multiplier(1.0).build()));
        fixture.handler.faults.poisoned.add("P");
        fixture.start(options);
        fixture.publish(List.of(fixture.next("P")));
        eventually().until(() -> fixture.handler.invocations("P#0") >= 1);
        int attempts = fixture.handler.invocations("P#0");

        // Well inside the first 2 s back-off.
        fixture.processor().shutDown();

        assertThat(fixture.handler.invocations("P#0"))
                .as("attempts of P#0 when shutDown() of the %s processor returned, called during its back-off", type)
                .isEqualTo(attempts);
        assertThat(fixture.sequenceSize("P")).as("P#0 dead-lettered by a stopping processor").isZero();

        // The token stayed before P#0: started again (the fault gone), the processor handles it.
        fixture.handler.faults.clear();
        fixture.processor().start();
        eventually().untilAsserted(() -> assertThat(fixture.projected("P")).containsExactly(0L));
        assertThat(fixture.sequenceSize("P")).isZero();
    }
}
