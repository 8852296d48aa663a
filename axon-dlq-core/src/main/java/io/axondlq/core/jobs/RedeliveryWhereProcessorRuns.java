package io.axondlq.core.jobs;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryRecorder;
import io.axondlq.core.redelivery.RedeliveryResult;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Production's redelivery of retry jobs and automatic retry, behind both
 * {@link RetryJobRunner.Redelivery#whereProcessorRuns} and {@link AutoRetryScheduler.Redelivery#whereProcessorRuns}:
 * through {@code operations}, each letter audited in its own transaction as the {@link RetryJobRunner#SYSTEM_ACTOR},
 * only where the group's processor runs on this node, ending between letters when the worker stops. A retry job's
 * redelivery is automatic retry's without a recorder.
 */
final class RedeliveryWhereProcessorRuns implements RetryJobRunner.Redelivery, AutoRetryScheduler.Redelivery {

    private final DeadLetterOperations operations;

    RedeliveryWhereProcessorRuns(DeadLetterOperations operations) {
        this.operations = Objects.requireNonNull(operations, "operations");
    }

    @Override
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey) {
        return redeliver(processingGroup, sequenceKey, RedeliveryRecorder.NONE);
    }

    @Override
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, BooleanSupplier stopRequested) {
        return redeliver(processingGroup, sequenceKey, RedeliveryRecorder.NONE, stopRequested);
    }

    @Override
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder) {
        return operations.redeliverLettersWhereProcessorRuns(RetryJobRunner.SYSTEM_ACTOR, processingGroup,
                                                             sequenceKey, recorder);
    }

    @Override
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder,
                                      BooleanSupplier stopRequested) {
        return operations.redeliverLettersWhereProcessorRuns(RetryJobRunner.SYSTEM_ACTOR, processingGroup,
                                                             sequenceKey, recorder, stopRequested);
    }
}
