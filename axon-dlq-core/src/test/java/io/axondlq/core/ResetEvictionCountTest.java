package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.observe.DeadLetterObserver;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.ResetHandler;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.axondlq.core.InvokerFixture.GROUP;
import static io.axondlq.core.InvokerFixture.PROCESSOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A processor reset with clear-on-reset in a processor of two groups, the other one's reset handler refusing: Axon
 * runs every group's reset and the token update in one transaction, which rolls back, and the letters the first group
 * "removed" are back. The {@code axon.dlq.evicted{reason=reset}} counter must not count them.
 */
abstract class ResetEvictionCountTest extends InvokerTestBase {

    /** Named so that Axon (a HashMap of groups) resets it after "projection", whose letters are then gone. */
    @ProcessingGroup("reset-refuser-10")
    static class RefusingResetHandler {
        @EventHandler
        void on(ThingHappened event) {
        }

        @ResetHandler
        void reset() {
            throw new IllegalStateException("this projection cannot be reset now");
        }
    }

    @ParameterizedTest
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void aResetThatRollsBackCountsNoEviction(ProcessorType type) {
        List<String> evictions = new CopyOnWriteArrayList<>();
        DeadLetterObserver observer = new DeadLetterObserver() {
            @Override
            public void evicted(String processingGroup, int letters, String reason) {
                evictions.add(processingGroup + ":" + letters + ":" + reason);
            }
        };
        GroupSettings settings = new GroupSettings(InvokerFixture.fastRetry(1).build(),
                                                   DeadLetteringEventHandlerInvoker.Isolation.SAVEPOINT_PER_ATTEMPT,
                                                   true);
        InvokerFixture f = fixture.start(Options.of(type).settings(settings).observer(observer).customizer(
                ep -> ep.assignProcessingGroup("reset-refuser-10", PROCESSOR)
                        .registerEventHandler(c -> new RefusingResetHandler())));
        f.handler.faults.poisoned.add("A");
        f.publishRounds(2, "A", "B");
        eventually().untilAsserted(() -> assertThat(f.sequenceSize("A")).isEqualTo(2));
        eventually().until(f::tokensAtHead);

        StreamingEventProcessor processor = f.processor();
        processor.shutDown();
        Throwable refused = catchThrowable(processor::resetTokens);

        assertThat(refused).as("the reset failed in the refusing reset handler").hasStackTraceContaining("cannot be reset now");
        assertThat(f.store.size(GROUP)).as("the reset's transaction rolled back: the letters are kept").isEqualTo(2);
        assertThat(evictions).as("evictions reported (axon.dlq.evicted{reason=reset})").isEmpty();
    }
}
