package io.axondlq.spring.web;

import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;

import java.time.Instant;
import java.util.UUID;

/**
 * A bulk retry job in a listing (and at the top of its detail, {@link RetryJobDetail}).
 *
 * @param owner   the node working on it now, if any
 * @param failure why the job failed, if it did
 */
public record RetryJobView(UUID id,
                           String processingGroup,
                           RetryJob.State state,
                           boolean stopRequested,
                           int total,
                           int succeeded,
                           int failed,
                           int skipped,
                           int remaining,
                           Instant createdAt,
                           Instant updatedAt,
                           String createdBy,
                           String owner,
                           String failure,
                           RetryJobRequestView request) {

    /** What the job was asked to do, defaults applied. */
    public record RetryJobRequestView(String processingGroup, RetryJobFilterView filter, int batchSize, String cooldown,
                                      int maxSequences) {
    }

    /** Which letters' sequences the job retries. */
    public record RetryJobFilterView(String causeType, String payloadType, Instant from, Instant to) {
    }

    static RetryJobView of(RetryJob job) {
        return new RetryJobView(job.id(), job.processingGroup(), job.state(), job.stopRequested(), job.total(),
                                job.succeeded(), job.failed(), job.skipped(), job.remaining(), job.createdAt(),
                                job.updatedAt(), job.createdBy(), job.owner(), job.failure(), request(job.request()));
    }

    private static RetryJobRequestView request(RetryJobRequest request) {
        if (request == null) {
            return null;
        }
        return new RetryJobRequestView(request.processingGroup(),
                           new RetryJobFilterView(request.causeType(), request.payloadType(), request.from(),
                                                  request.to()),
                           request.batchSize(), request.cooldown() == null ? null : request.cooldown().toString(),
                           request.maxSequences());
    }
}
