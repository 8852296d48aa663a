package io.axondlq.spring.properties;

import java.time.Duration;

/** Bulk retry jobs (started through the REST API). */
public class RetryJobs {

    /**
     * How often each node looks for retry jobs whose next batch is due. The node running a batch holds the job's
     * lease for axon.dlq.claim.lease, renewed while it works.
     */
    private Duration pollInterval = Duration.ofSeconds(1);

    /**
     * How long an Idempotency-Key names the retry job it created. Keys are scoped to the job's processing group;
     * once expired, the same key creates a new job.
     */
    private Duration idempotencyKeyTtl = Duration.ofHours(24);

    public Duration getPollInterval() { return pollInterval; }
    public void setPollInterval(Duration pollInterval) { this.pollInterval = pollInterval; }
    public Duration getIdempotencyKeyTtl() { return idempotencyKeyTtl; }
    public void setIdempotencyKeyTtl(Duration idempotencyKeyTtl) { this.idempotencyKeyTtl = idempotencyKeyTtl; }
}
