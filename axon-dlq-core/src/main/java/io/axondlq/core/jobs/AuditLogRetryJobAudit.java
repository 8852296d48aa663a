package io.axondlq.core.jobs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.audit.AuditTexts;

import java.util.Objects;
import java.util.UUID;

/**
 * {@link RetryJobAudit} written to the {@link AuditLog}. The JDBC audit log joins the caller's transaction, so each
 * entry commits (or rolls back) with the job change it records. In core so that an application without Spring Boot
 * audits retry jobs and automatic retries as the auto-configuration does.
 */
public class AuditLogRetryJobAudit implements RetryJobAudit {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuditLog log;

    public AuditLogRetryJobAudit(AuditLog log) {
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public void created(RetryJob job, String idempotencyKey, String actor) {
        log.record(actor, CREATE, job.processingGroup(), job.id().toString(), parameters(job.request(), idempotencyKey),
                   "success", AuditTexts.count(job.total(), "sequence") + " in the snapshot");
    }

    @Override
    public void rejected(RetryJobRequest request, String idempotencyKey, String actor, RuntimeException reason) {
        log.record(actor, CREATE, request.processingGroup(), null, parameters(request, idempotencyKey), "rejected",
                   reason.getMessage());
    }

    @Override
    public void stopRequested(RetryJob job, String actor, boolean stoppedNow) {
        log.record(actor, STOP, job.processingGroup(), job.id().toString(), null, "success",
                   stoppedNow ? "stopped" : "stop requested: the job stops after its current sequence");
    }

    @Override
    public void finished(RetryJob job) {
        ObjectNode counters = JSON.createObjectNode()
                                  .put("state", job.state().name())
                                  .put("total", job.total())
                                  .put("succeeded", job.succeeded())
                                  .put("failed", job.failed())
                                  .put("skipped", job.skipped())
                                  .put("remaining", job.remaining());
        String detail = job.state() + ": " + job.succeeded() + " succeeded, " + job.failed() + " failed, "
                + job.skipped() + " skipped, " + job.remaining() + " remaining"
                + (job.failure() == null ? "" : " (" + failureType(job.failure()) + ")");
        log.record(SYSTEM_ACTOR, FINISH, job.processingGroup(), job.id().toString(), counters.toString(),
                   job.state() == RetryJob.State.FAILED ? "failure" : "success", detail);
    }

    @Override
    public void sequenceProcessed(UUID jobId, String processingGroup, RetryJob.SequenceOutcome outcome) {
        ObjectNode parameters = JSON.createObjectNode()
                                    .put("jobId", jobId.toString())
                                    .put("outcome", outcome.outcome())
                                    .put("redelivered", outcome.redelivered())
                                    .put("remaining", outcome.remaining());
        boolean success = "DRAINED".equals(outcome.outcome()) || "NOT_FOUND".equals(outcome.outcome());
        log.record(SYSTEM_ACTOR, SEQUENCE, processingGroup, outcome.sequenceKey(), parameters.toString(),
                   success ? "success" : "failure",
                   outcome.outcome() + (outcome.detail() == null ? "" : ": " + outcome.detail()));
    }

    @Override
    public void automaticRetry(String processingGroup, String sequenceKey, int retry, int scheduledRetries,
                               String outcome, String detail) {
        ObjectNode parameters = JSON.createObjectNode()
                                    .put("processingGroup", processingGroup)
                                    .put("sequenceKey", sequenceKey)
                                    .put("retry", retry)
                                    .put("scheduledRetries", scheduledRetries);
        log.record(SYSTEM_ACTOR, AUTO_RETRY, processingGroup, sequenceKey, parameters.toString(), outcome, detail);
    }

    /**
     * The type of a job's failure ({@code "type: message"}, as the runner records it): audit readers see the audit
     * log whatever the payload mode, and a message may quote data; the job's own record keeps the message.
     */
    static String failureType(String failure) {
        int colon = failure.indexOf(": ");
        return colon < 0 ? failure : failure.substring(0, colon);
    }

    private static String parameters(RetryJobRequest request, String idempotencyKey) {
        ObjectNode node = request.toJson();
        node.put("idempotencyKey", idempotencyKey);
        return node.toString();
    }
}
