package io.axondlq.spring.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.audit.AuditLog;

/**
 * The audit entries of retry jobs: creation (and rejected attempts), stop requests, and how each job ended.
 * Entries written inside a job transaction commit (or roll back) with it.
 */
final class RetryJobAudit {

    static final String CREATE = "create-retry-job";
    static final String STOP = "stop-retry-job";
    static final String FINISH = "retry-job-finished";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditLog log;

    RetryJobAudit(AuditLog log) {
        this.log = log;
    }

    void created(RetryJob job, String idempotencyKey, String actor) {
        log.record(actor, CREATE, job.processingGroup(), job.id().toString(),
                   parameters(job.request(), idempotencyKey), "success",
                   job.total() + " sequences in the snapshot");
    }

    void rejected(RetryJobRequest request, String idempotencyKey, String actor, RuntimeException reason) {
        log.record(actor, CREATE, request.processingGroup(), null, parameters(request, idempotencyKey), "rejected",
                   reason.getMessage());
    }

    void stopRequested(RetryJob job, String actor, boolean stoppedNow) {
        log.record(actor, STOP, job.processingGroup(), job.id().toString(), null, "success",
                   stoppedNow ? "stopped" : "stop requested: the job stops after its current sequence");
    }

    /** How the job ended; recorded by the system, whoever asked for it. */
    void finished(RetryJob job) {
        ObjectNode counters = JSON.createObjectNode()
                                  .put("state", job.state().name())
                                  .put("total", job.total())
                                  .put("succeeded", job.succeeded())
                                  .put("failed", job.failed())
                                  .put("skipped", job.skipped())
                                  .put("remaining", job.remaining());
        String detail = job.state() + ": " + job.succeeded() + " succeeded, " + job.failed() + " failed, "
                + job.skipped() + " skipped, " + job.remaining() + " remaining"
                + (job.failure() == null ? "" : " (" + job.failure() + ")");
        log.record(RetryJobRunner.SYSTEM_ACTOR, FINISH, job.processingGroup(), job.id().toString(),
                   counters.toString(), job.state() == RetryJob.State.FAILED ? "failure" : "success", detail);
    }

    private static String parameters(RetryJobRequest request, String idempotencyKey) {
        try {
            ObjectNode node = (ObjectNode) JSON.readTree(RetryJobRequests.toJson(request));
            node.put("idempotencyKey", idempotencyKey);
            return node.toString();
        } catch (Exception e) {
            return RetryJobRequests.toJson(request);
        }
    }
}
