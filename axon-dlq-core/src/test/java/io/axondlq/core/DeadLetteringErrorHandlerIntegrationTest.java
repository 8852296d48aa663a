package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import org.axonframework.config.Configuration;
import org.axonframework.eventhandling.ErrorHandler;
import org.axonframework.messaging.unitofwork.RollbackConfigurationType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

import static io.axondlq.core.InvokerFixture.PROCESSOR;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 10, bug 5: whatever escapes the invoker (a full queue, a store error, a savepoint that cannot be taken) rolls
 * the batch back and reaches the processor's {@link org.axonframework.eventhandling.ErrorHandler}; one that does not
 * propagate lets the processor move on and store a later token, losing the batch. So an axon-dlq group in a processor
 * with such an error handler must fail at start-up, naming the processor and what it needs.
 */
abstract class DeadLetteringErrorHandlerIntegrationTest extends InvokerTestBase {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetteringErrorHandlerIntegrationTest.class);

    /**
     * A processor error handler that logs and moves on. (Axon 4.13's {@code LoggingErrorHandler} is a
     * {@code ListenerInvocationErrorHandler}, which axon-dlq's invoker does not use; the processor-level
     * {@link ErrorHandler} Axon ships is only the propagating one, so a logging one is the user's own.)
     */
    private static final ErrorHandler LOGGING_ERROR_HANDLER =
            errorContext -> logger.warn("Batch of processor [{}] failed, moving on", errorContext.eventProcessor(),
                                        errorContext.error());

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void processorWithALoggingErrorHandlerForAnEnabledGroupFailsToStart(ProcessorType type) {
        Configuration config = fixture.build(Options.of(type).customizer(
                ep -> ep.registerErrorHandler(PROCESSOR, c -> LOGGING_ERROR_HANDLER)));

        assertThatThrownBy(config::start)
                .as("start of a processor whose error handler swallows batch failures")
                .satisfies(e -> assertThat(messages(e)).anySatisfy(m -> assertThat(m)
                        .contains(PROCESSOR)
                        .containsPattern("(?i)propagating\\s*error\\s*handler")));
    }

    /**
     * A rollback configuration that commits a batch failed by a checked exception (Axon's RUNTIME_EXCEPTIONS): what
     * escapes the invoker then moves the token past an event that was neither handled nor dead-lettered (a reviewer
     * lost an event so, with a handler's IOException and no savepoints). Refused at start-up, naming the processor.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = RollbackConfigurationType.class, names = {"RUNTIME_EXCEPTIONS", "UNCHECKED_EXCEPTIONS",
            "NEVER"})
    void processorWhoseRollbackConfigurationCommitsSomeFailuresFailsToStart(RollbackConfigurationType rollback) {
        Configuration config = fixture.build(Options.of(ProcessorType.POOLED).customizer(
                ep -> ep.registerRollbackConfiguration(PROCESSOR, c -> rollback)));

        assertThatThrownBy(config::start)
                .as("start of a processor that commits a batch failed by some throwables")
                .satisfies(e -> assertThat(messages(e)).anySatisfy(m -> assertThat(m)
                        .contains(PROCESSOR).contains(rollback.name()).contains("ANY_THROWABLE")));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void processorWithAxonsDefaultRollbackConfigurationOrAnyThrowableStarts(ProcessorType type) {
        Configuration config = fixture.build(Options.of(type).customizer(
                ep -> ep.registerRollbackConfiguration(PROCESSOR, c -> RollbackConfigurationType.ANY_THROWABLE)));
        config.start();
        assertThat(config.eventProcessingConfiguration().eventProcessor(PROCESSOR)).isPresent();
    }

    private static List<String> messages(Throwable e) {
        List<String> messages = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            messages.add(String.valueOf(t.getMessage()));
        }
        return messages;
    }
}
