package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.testsupport.SavepointRefusingDataSource;
import io.axondlq.testsupport.SavepointRefusingDataSource.Refusal;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A processor whose transaction's connection refuses savepoints (I4): a driver without them, or a connection
 * enlisted in a JTA (XA) transaction, in which pgjdbc's XA connection refuses rollbacks and (from 42.7.13) savepoints.
 * Taking one, or rolling back to it, threw, and the exception failed every batch, forever: nothing was projected and
 * the poison never dead-lettered. A refused savepoint is no savepoint now, and after a refused rollback there are no
 * more, so the invoker's fallback applies: the failing event's attempts are recorded, the processor rolls back and
 * replays the batch, and the poison is dead-lettered. Through a real pooled processor, with the connections of the
 * whole application refusing. Written once, subclassed per database.
 */
abstract class SavepointRefusalIntegrationTest extends InvokerTestBase {

    static Stream<Arguments> refusalsAndIsolations() {
        return Stream.of(Refusal.NOT_SUPPORTED, Refusal.XA_TRANSACTION, Refusal.XA_TRANSACTION_UP_TO_PGJDBC_42_7_11)
                     .flatMap(refusal -> Stream.of(
                Arguments.of(refusal, DeadLetteringEventHandlerInvoker.Isolation.CHECKPOINT),
                Arguments.of(refusal, DeadLetteringEventHandlerInvoker.Isolation.SAVEPOINT_PER_ATTEMPT)));
    }

    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("refusalsAndIsolations")
    void aPoisonEventIsDeadLetteredAndTheOtherSequencesProjected(
            Refusal refusal, DeadLetteringEventHandlerInvoker.Isolation isolation) {
        SavepointRefusingDataSource refusing = new SavepointRefusingDataSource(pool, refusal);
        fixture = new InvokerFixture(database, refusing, pool);
        InvokerFixture f = fixture.start(Options.of(ProcessorType.POOLED).settings(new GroupSettings(
                InvokerFixture.fastRetry(3).build(), isolation, false)));
        // Writes, then throws: the write must not survive (nothing partial commits).
        f.handler.faults.insertThenThrow.add("A");

        f.publishRounds(3, "A", "B", "C");

        awaitPoisonedAWhileBAndCFlow(f, Duration.ofSeconds(90));
        assertThat(refusing.refused()).as("the connections refused").isPositive();
        // A connection that takes the savepoint and refuses the rollback to it is found out by that refusal: the
        // attempt's writes stay, so its batch fails, unrecorded, and is replayed. Once per Savepoints instance (this
        // module has two: the processor's checkpoints and the group's attempts).
        int unrecorded = refusal == Refusal.XA_TRANSACTION_UP_TO_PGJDBC_42_7_11 ? 2 : 0;
        assertThat(f.handler.invocations("A#0")).as("not invoked again once the policy gave up")
                                                .isBetween(3, 3 + unrecorded);
        for (String aggregate : List.of("B", "C")) {
            assertThat(f.projected(aggregate)).as("projected once").hasSize(3);
        }
    }
}
