package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The members of the API's bodies, exactly, over HTTP: the dashboard and clients read them by name, and the response
 * records must write every member they wrote as hand-built trees (null members included, absent ones still absent).
 */
class WireFormatTest extends RestApiTestSupport {

    private static final List<String> SUMMARY = List.of(
            "id", "processingGroup", "sequenceKey", "sequenceIndex", "eventIdentifier", "messageType", "payloadType",
            "payloadRevision", "aggregate", "eventTimestamp", "enqueuedAt", "lastTouched", "attempts", "parked",
            "cause", "correlationId", "traceId", "redeliverable", "notRedeliverableReason", "redeliveredAs");

    @Test
    void lettersSequencesAndGroupsHaveTheirMembers() {
        String account = poisoned("wire", 2);
        JsonNode summary = letters(account).get(0);
        assertThat(members(summary)).isEqualTo(new TreeSet<>(SUMMARY));
        assertThat(members(summary.path("cause"))).containsExactlyInAnyOrder("type", "message");
        assertThat(members(summary.path("redeliveredAs").get(0))).containsExactlyInAnyOrder("payloadType",
                                                                                           "payloadRevision");
        assertThat(summary.path("eventTimestamp").isTextual()).isTrue();

        JsonNode detail = ok(http.get("/letters/" + summary.path("id").asText()));
        List<String> full = new ArrayList<>(SUMMARY);
        full.addAll(List.of("payloadFormat", "payload", "metadata", "diagnostics", "trackingToken", "attemptHistory",
                            "deserializable"));
        assertThat(members(detail)).isEqualTo(new TreeSet<>(full));
        assertThat(detail.path("payloadFormat").asText()).isEqualTo("json");
        assertThat(members(detail.path("cause"))).containsExactlyInAnyOrder("type", "message", "stackTrace");
        assertThat(members(detail.path("attemptHistory").get(0)))
                .containsExactlyInAnyOrder("attempt", "failedAt", "node", "causeType", "causeMessage");

        JsonNode sequence = all("/processing-groups/" + GROUP + "/sequences", 500).stream()
                .filter(s -> s.path("sequenceKey").asText().equals(account)).findFirst().orElseThrow();
        assertThat(members(sequence)).containsExactlyInAnyOrder("processingGroup", "sequenceKey", "size",
                                                                "oldestEnqueuedAt", "lastTouched", "head",
                                                                "claimedBy", "claimUntil");
        assertThat(members(sequence.path("head"))).containsExactlyInAnyOrder("letterId", "eventIdentifier",
                                                                             "payloadType", "causeType");

        JsonNode groups = ok(http.get("/processing-groups"));
        assertThat(members(groups)).containsExactly("items");
        assertThat(members(groups.path("items").get(0))).containsExactlyInAnyOrder(
                "name", "letters", "sequences", "oldestEnqueuedAt", "running", "activeRetryJob");
        JsonNode page = ok(http.get("/processing-groups/" + GROUP + "/letters?limit=1"));
        assertThat(members(page)).containsExactlyInAnyOrder("items", "nextCursor");
        assertThat(members(ok(http.get("/processing-groups/" + GROUP + "/failure-groups")).path("items").get(0)))
                .containsExactlyInAnyOrder("causeType", "letters", "firstSeen", "lastSeen");
    }

    @Test
    void retryJobsAndAuditEntriesHaveTheirMembers() {
        poisoned("wire-job", 1);
        JsonNode job = ok(http.post("/retry-jobs", "{\"processingGroup\": \"" + GROUP + "\", \"cooldown\": \"0s\"}"));
        assertThat(members(job)).containsExactlyInAnyOrder(
                "id", "processingGroup", "state", "stopRequested", "total", "succeeded", "failed", "skipped",
                "remaining", "createdAt", "updatedAt", "createdBy", "owner", "failure", "request", "sequences",
                "nextCursor");
        assertThat(members(job.path("request"))).containsExactlyInAnyOrder(
                "processingGroup", "filter", "batchSize", "cooldown", "maxSequences");
        assertThat(members(job.path("request").path("filter"))).containsExactlyInAnyOrder(
                "causeType", "payloadType", "from", "to");
        assertThat(job.path("request").path("cooldown").asText()).isEqualTo("PT0S");
        assertThat(members(job.path("sequences").get(0))).containsExactlyInAnyOrder(
                "sequenceKey", "outcome", "redelivered", "remaining", "detail", "finishedAt");

        JsonNode entry = all("/audit", 500).get(0);
        assertThat(members(entry)).containsExactlyInAnyOrder(
                "id", "occurredAt", "actor", "action", "processingGroup", "target", "parameters", "outcome", "detail");
    }

    private static Set<String> members(JsonNode node) {
        Set<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
