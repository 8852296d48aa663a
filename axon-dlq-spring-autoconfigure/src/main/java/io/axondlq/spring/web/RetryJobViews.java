package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.store.Page;

/** JSON views of retry jobs. */
final class RetryJobViews {

    private RetryJobViews() {
    }

    static ObjectNode summary(RetryJob job) {
        ObjectNode node = ApiJson.object();
        node.put("id", job.id().toString());
        node.put("processingGroup", job.processingGroup());
        node.put("state", job.state() == null ? null : job.state().name());
        node.put("stopRequested", job.stopRequested());
        node.put("total", job.total());
        node.put("succeeded", job.succeeded());
        node.put("failed", job.failed());
        node.put("skipped", job.skipped());
        node.put("remaining", job.remaining());
        node.put("createdAt", ApiJson.instant(job.createdAt()));
        node.put("updatedAt", ApiJson.instant(job.updatedAt()));
        node.put("createdBy", job.createdBy());
        node.put("owner", job.owner());
        node.put("failure", job.failure());
        node.set("request", request(job.request()));
        return node;
    }

    /** The job, one page of its per-sequence outcomes, and the cursor of the next page (null on the last). */
    static ObjectNode detail(RetryJob job, Page<RetryJob.SequenceOutcome> outcomes) {
        ObjectNode node = summary(job);
        ArrayNode sequences = node.putArray("sequences");
        node.put("nextCursor", outcomes.nextCursor());
        if (outcomes.items() != null) {
            for (RetryJob.SequenceOutcome outcome : outcomes.items()) {
                ObjectNode item = sequences.addObject();
                item.put("sequenceKey", outcome.sequenceKey());
                item.put("outcome", outcome.outcome());
                item.put("redelivered", outcome.redelivered());
                item.put("remaining", outcome.remaining());
                item.put("detail", outcome.detail());
                item.put("finishedAt", ApiJson.instant(outcome.finishedAt()));
            }
        }
        return node;
    }

    static ObjectNode request(RetryJobRequest request) {
        if (request == null) {
            return null;
        }
        ObjectNode node = ApiJson.object();
        node.put("processingGroup", request.processingGroup());
        ObjectNode filter = node.putObject("filter");
        filter.put("causeType", request.causeType());
        filter.put("payloadType", request.payloadType());
        filter.put("from", ApiJson.instant(request.from()));
        filter.put("to", ApiJson.instant(request.to()));
        node.put("batchSize", request.batchSize());
        node.put("cooldown", request.cooldown() == null ? null : request.cooldown().toString());
        node.put("maxSequences", request.maxSequences());
        return node;
    }
}
