package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.properties.PayloadMode;
import io.axondlq.spring.web.testapp.AccountCredited;
import io.axondlq.spring.web.testapp.NotificationProjection;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint of the REST API over HTTP against real dead letters: a pooled processor ({@code ledger-processor})
 * runs group {@code ledger}, whose handler fails for poisoned accounts. Requests are made as an authenticated
 * operator with the default write authority (authorization itself: {@link RestApiSecurityTest}).
 */
class DeadLetterRestApiTest extends RestApiTestSupport {

    @Autowired
    AxonDlqProperties properties;

    @Test
    void processingGroupsListRunningGroupsWithTheirTotals() {
        String account = poisoned("groups", 2);

        JsonNode groups = ok(http.get("/processing-groups")).path("items");

        JsonNode ledger = find(groups, "name", GROUP);
        assertThat(ledger.path("running").asBoolean()).isTrue();
        assertThat(ledger.path("letters").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(ledger.path("sequences").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(Instant.parse(ledger.path("oldestEnqueuedAt").asText())).isBefore(Instant.now());
        assertThat(ledger.has("activeRetryJob")).isTrue();
        JsonNode notifications = find(groups, "name", NotificationProjection.GROUP);
        assertThat(notifications.path("running").asBoolean()).isTrue();
        assertThat(notifications.path("letters").asLong()).isZero();
        assertThat(notifications.path("oldestEnqueuedAt").isNull()).isTrue();
        // A running group without letters lists fine.
        assertThat(ok(http.get("/processing-groups/notifications/letters")).path("items")).isEmpty();
        assertThat(letters(account)).hasSize(2);
    }

    @Test
    void lettersAreFilteredAndPagedWithCursors() {
        Instant before = Instant.now().minusMillis(1);
        String stateAccount = poisoned("filters", 3);
        String argumentAccount = "filters-arg-" + System.nanoTime();
        poison.poison(argumentAccount, id -> new IllegalArgumentException("bad argument for " + id));
        accounts.creditAndAwaitLetters(argumentAccount, 1);
        Instant after = Instant.now().plusSeconds(1);

        // by sequence, in sequence order: the first failed, the others are parked behind it
        List<JsonNode> sequence = letters(stateAccount);
        assertThat(sequence).hasSize(3);
        assertThat(sequence).extracting(l -> l.path("sequenceIndex").asLong()).containsExactly(0L, 1L, 2L);
        assertThat(sequence.get(0).path("parked").asBoolean()).isFalse();
        assertThat(sequence.get(0).path("cause").path("type").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(sequence.get(0).path("attempts").asInt()).isEqualTo(2);
        assertThat(sequence.get(1).path("parked").asBoolean()).isTrue();
        assertThat(sequence.get(1).path("cause").isNull()).isTrue();
        assertThat(sequence.get(0).path("aggregate").path("identifier").asText()).isEqualTo(stateAccount);
        assertThat(sequence.get(0).path("payloadType").asText()).isEqualTo(AccountCredited.class.getName());

        // one letter per page, following the cursor, no duplicates and nothing skipped
        List<JsonNode> paged = all("/processing-groups/ledger/letters?sequence=" + stateAccount, 1);
        assertThat(paged).extracting(l -> l.path("id").asText())
                         .containsExactlyElementsOf(sequence.stream().map(l -> l.path("id").asText()).toList());

        // by cause type
        List<JsonNode> byCause = all("/processing-groups/ledger/letters?causeType=java.lang.IllegalArgumentException",
                                     50);
        assertThat(byCause).extracting(l -> l.path("sequenceKey").asText()).contains(argumentAccount)
                           .doesNotContain(stateAccount);
        // by payload type
        assertThat(all("/processing-groups/ledger/letters?payloadType=" + AccountCredited.class.getName()
                               + "&sequence=" + stateAccount, 50)).hasSize(3);
        assertThat(ok(http.get("/processing-groups/ledger/letters?payloadType=no.such.Type")).path("items"))
                .isEmpty();
        // by time: [from, to)
        assertThat(all("/processing-groups/ledger/letters?sequence=" + stateAccount + "&from=" + before + "&to="
                               + after, 50)).hasSize(3);
        assertThat(ok(http.get("/processing-groups/ledger/letters?sequence=" + stateAccount + "&to=" + before))
                           .path("items")).isEmpty();
        assertThat(ok(http.get("/processing-groups/ledger/letters?sequence=" + stateAccount + "&from=" + after))
                           .path("items")).isEmpty();
        // offset date-times and plain dates are accepted too
        assertThat(ok(http.get("/processing-groups/ledger/letters?sequence=" + stateAccount
                                       + "&from=2000-01-01&to=2999-01-01T00:00:00%2B02:00")).path("items"))
                .hasSize(3);
    }

    @Test
    void sequencesAreListedWithHeadAndClaimAndPaged() {
        String three = poisoned("sequences", 3);
        String one = poisoned("sequences", 1);

        List<JsonNode> sequences = all("/processing-groups/ledger/sequences", 1);
        Set<String> keys = new HashSet<>();
        sequences.forEach(s -> assertThat(keys.add(s.path("sequenceKey").asText())).as("duplicate").isTrue());
        JsonNode first = find(sequences, "sequenceKey", three);
        assertThat(first.path("size").asInt()).isEqualTo(3);
        assertThat(first.path("head").path("causeType").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(first.path("head").path("letterId").asText()).isEqualTo(letters(three).get(0).path("id").asText());
        assertThat(first.path("claimedBy").isNull()).isTrue();
        assertThat(find(sequences, "sequenceKey", one).path("size").asInt()).isEqualTo(1);

        SequenceClaim claim = store.claim(GROUP, one, Duration.ofMinutes(1)).orElseThrow();
        try {
            JsonNode claimed = find(all("/processing-groups/ledger/sequences", 500), "sequenceKey", one);
            assertThat(claimed.path("claimedBy").asText()).startsWith(claim.node());
            assertThat(claimed.path("claimUntil").isNull()).isFalse();
        } finally {
            store.release(claim);
        }
    }

    @Test
    void failureGroupsCountLettersPerCauseType() {
        poisoned("failure-groups", 2);
        String unsupported = "failure-groups-unsupported-" + System.nanoTime();
        poison.poison(unsupported, id -> new UnsupportedOperationException("unsupported " + id));
        accounts.creditAndAwaitLetters(unsupported, 1);

        JsonNode groups = ok(http.get("/processing-groups/ledger/failure-groups")).path("items");

        JsonNode state = find(groups, "causeType", "java.lang.IllegalStateException");
        assertThat(state.path("letters").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(Instant.parse(state.path("firstSeen").asText()))
                .isBeforeOrEqualTo(Instant.parse(state.path("lastSeen").asText()));
        assertThat(find(groups, "causeType", "java.lang.UnsupportedOperationException").path("letters").asLong())
                .isGreaterThanOrEqualTo(1);
        // letters parked behind a failure have no cause of their own
        assertThat(StreamSupport.stream(groups.spliterator(), false).anyMatch(g -> g.path("causeType").isNull()))
                .isTrue();
    }

    @Test
    void letterDetailShowsEverything() {
        String account = poisoned("detail", 2);
        List<JsonNode> letters = letters(account);

        JsonNode head = ok(http.get("/letters/" + letters.get(0).path("id").asText()));

        assertThat(head.path("payloadFormat").asText()).isEqualTo("json");
        assertThat(head.path("payload").path("accountId").asText()).isEqualTo(account);
        assertThat(head.path("payload").path("amount").asLong()).isEqualTo(100);
        assertThat(head.path("metadata").path("secret").asText()).isEqualTo("***");
        assertThat(head.path("metadata").path("tenant").asText()).isEqualTo("acme");
        assertThat(head.path("aggregate").path("type").asText()).isEqualTo("Account");
        assertThat(head.path("aggregate").path("identifier").asText()).isEqualTo(account);
        assertThat(head.path("aggregate").path("sequenceNumber").asLong()).isZero();
        assertThat(head.path("eventTimestamp").asText()).isNotBlank();
        assertThat(head.path("enqueuedAt").asText()).isNotBlank();
        assertThat(head.path("lastTouched").asText()).isNotBlank();
        assertThat(head.path("cause").path("type").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(head.path("cause").path("message").asText()).contains("poisoned account " + account);
        assertThat(head.path("cause").path("stackTrace").asText())
                .contains("IllegalStateException").contains("LedgerProjection");
        assertThat(head.path("attempts").asInt()).isEqualTo(2);
        assertThat(head.path("attemptHistory")).isNotEmpty();
        assertThat(head.path("attemptHistory").get(0).path("causeType").asText())
                .isEqualTo("java.lang.IllegalStateException");
        assertThat(head.path("attemptHistory").get(0).path("failedAt").asText()).isNotBlank();
        assertThat(head.has("correlationId")).isTrue();
        assertThat(head.has("traceId")).isTrue();
        assertThat(head.path("parked").asBoolean()).isFalse();
        assertThat(head.path("trackingToken").path("type").asText()).isNotBlank();

        JsonNode parked = ok(http.get("/letters/" + letters.get(1).path("id").asText()));
        assertThat(parked.path("parked").asBoolean()).isTrue();
        assertThat(parked.path("cause").isNull()).isTrue();
        assertThat(parked.path("attemptHistory")).isEmpty();
        assertThat(parked.path("payload").path("amount").asLong()).isEqualTo(101);
    }

    @Test
    void redeliveringAFixedSequenceDrainsIt() {
        String account = poisoned("redeliver", 3);
        poison.cure(account);

        JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));

        assertThat(result.path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(result.path("redelivered").asInt()).isEqualTo(3);
        assertThat(result.path("remaining").asLong()).isZero();
        assertThat(letters(account)).isEmpty();
        assertThat(store.contains(GROUP, account)).isFalse();
        // The handler's writes of the three events: the failed attempts were rolled back.
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class,
                                       account)).isEqualTo(3);
        JsonNode audit = lastAudit("redeliver-sequence", account);
        assertThat(audit.path("outcome").asText()).isEqualTo("success");
        assertThat(audit.path("actor").asText()).isEqualTo(OPERATOR);
        assertThat(audit.path("parameters").path("sequenceKey").asText()).isEqualTo(account);
        // gone now
        problem(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null), 404);
    }

    @Test
    void redeliveringABrokenSequenceKeepsItWithOneMoreAttempt() {
        String account = poisoned("still-broken", 2);
        String head = letters(account).get(0).path("id").asText();

        JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));

        assertThat(result.path("outcome").asText()).isEqualTo("FAILED");
        assertThat(result.path("redelivered").asInt()).isZero();
        assertThat(result.path("remaining").asLong()).isEqualTo(2);
        assertThat(result.path("stoppedAtLetterId").asText()).isEqualTo(head);
        assertThat(result.path("failureType").asText()).isEqualTo("java.lang.IllegalStateException");
        JsonNode letter = ok(http.get("/letters/" + head));
        assertThat(letter.path("attempts").asInt()).isEqualTo(3);
        assertThat(letter.path("attemptHistory").size()).isGreaterThanOrEqualTo(1);
        assertThat(lastAudit("redeliver-sequence", account).path("outcome").asText()).isEqualTo("failure");
    }

    @Test
    void redeliverOldestTakesTheSequenceThatWaitedLongest() {
        store.evictGroup(GROUP);
        String account = poisoned("oldest", 2);
        poison.cure(account);

        JsonNode result = ok(http.post("/processing-groups/ledger/redeliver-oldest", null));

        assertThat(result.path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(result.path("sequenceKey").asText()).isEqualTo(account);
        assertThat(result.path("redelivered").asInt()).isEqualTo(2);
        assertThat(letters(account)).isEmpty();
        // nothing left: answered, not refused
        assertThat(ok(http.post("/processing-groups/ledger/redeliver-oldest", null)).path("outcome").asText())
                .isEqualTo("NOT_FOUND");
        assertThat(lastAudit("redeliver-oldest", account).path("outcome").asText()).isEqualTo("success");
    }

    @Test
    void aSequenceClaimedElsewhereAnswers409WithTheClaimant() {
        String account = poisoned("claimed", 2);
        poison.cure(account);
        SequenceClaim claim = store.claim(GROUP, account, Duration.ofMinutes(1)).orElseThrow();
        try {
            JsonNode problem = problem(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver",
                                                 null), 409);
            assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:sequence-claimed");
            assertThat(problem.path("claimedBy").asText()).isEqualTo(claim.owner());
            assertThat(problem.path("detail").asText()).contains("claimed by");
            assertThat(letters(account)).hasSize(2);
            assertThat(lastAudit("redeliver-sequence", account).path("outcome").asText()).isEqualTo("rejected");
        } finally {
            store.release(claim);
        }
        assertThat(ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null))
                           .path("outcome").asText()).isEqualTo("DRAINED");
    }

    @Test
    void deletesReturnWhatTheyRemoved() {
        String three = poisoned("delete", 3);
        String two = poisoned("delete", 2);
        String parkedLetter = letters(three).get(2).path("id").asText();

        JsonNode letter = ok(http.delete("/letters/" + parkedLetter));
        assertThat(letter.path("removed").asInt()).isEqualTo(1);
        assertThat(letter.path("sequenceKey").asText()).isEqualTo(three);
        assertThat(letters(three)).hasSize(2);
        problem(http.delete("/letters/" + parkedLetter), 404);
        problem(http.get("/letters/" + parkedLetter), 404);

        JsonNode sequence = ok(http.delete("/processing-groups/ledger/sequences/" + two));
        assertThat(sequence.path("removed").asInt()).isEqualTo(2);
        assertThat(letters(two)).isEmpty();
        problem(http.delete("/processing-groups/ledger/sequences/" + two), 404);

        assertThat(lastAudit("evict-letter", parkedLetter).path("outcome").asText()).isEqualTo("success");
        assertThat(lastAudit("evict-sequence", two).path("detail").asText()).contains("2");
    }

    @Test
    void eraseAllNeedsTheGroupNameAsConfirmation() {
        poisoned("erase", 2);
        long size = store.size(GROUP);
        var before = snapshot();

        problem(http.delete("/processing-groups/ledger/letters"), 400);
        JsonNode wrong = problem(http.delete("/processing-groups/ledger/letters?confirm=Ledger"), 400);
        assertThat(wrong.path("type").asText()).isEqualTo("urn:axon-dlq:problem:confirmation-required");
        problem(http.delete("/processing-groups/ledger/letters?confirm=notifications"), 400);
        assertThat(snapshot()).isEqualTo(before);
        assertThat(store.size(GROUP)).isEqualTo(size);

        JsonNode erased = ok(http.delete("/processing-groups/ledger/letters?confirm=ledger"));

        assertThat(erased.path("removed").asLong()).isEqualTo(size);
        assertThat(store.size(GROUP)).isZero();
        assertThat(ok(http.get("/processing-groups/ledger/letters")).path("items")).isEmpty();
        assertThat(lastAudit("erase-group", GROUP).path("detail").asText()).contains(String.valueOf(size));
    }

    @Test
    void exportStreamsJsonOrNdjsonWithThePayloadPerMode() throws Exception {
        String account = poisoned("export", 3);
        String sequence = "/processing-groups/ledger/export?sequence=" + account;

        Http.Response json = http.get(sequence);
        assertThat(json.status()).isEqualTo(200);
        assertThat(json.contentType()).startsWith("application/json");
        assertThat(json.header("Content-Disposition")).startsWith("attachment").contains(".json");
        JsonNode array = json.json();
        assertThat(array.isArray()).isTrue();
        assertThat(array).hasSize(3);
        JsonNode first = array.get(0);
        assertThat(first.path("payload").path("accountId").asText()).isEqualTo(account);
        assertThat(first.path("metadata").path("secret").asText()).isEqualTo("***");
        assertThat(first.path("cause").path("stackTrace").asText()).contains("IllegalStateException");
        assertThat(first.path("attemptHistory")).isNotEmpty();

        Http.Response ndjson = http.get(sequence, "Accept", "application/x-ndjson");
        assertThat(ndjson.contentType()).startsWith("application/x-ndjson");
        List<String> lines = Http.lines(ndjson.body());
        assertThat(lines).hasSize(3);
        for (String line : lines) {
            assertThat(Http.JSON.readTree(line).path("sequenceKey").asText()).isEqualTo(account);
        }
        assertThat(Http.lines(http.get(sequence + "&format=ndjson").body())).hasSize(3);
        assertThat(http.get(sequence + "&format=json", "Accept", "application/x-ndjson").json()).hasSize(3);

        // the whole group, every letter exactly once
        JsonNode everything = http.get("/processing-groups/ledger/export").json();
        assertThat(everything.size()).isEqualTo(store.size(GROUP));

        PayloadMode mode = properties.getExport().getPayload();
        try {
            properties.getExport().setPayload(PayloadMode.MASKED);
            JsonNode masked = http.get(sequence).json().get(0);
            assertThat(masked.path("payloadFormat").asText()).isEqualTo("json-masked");
            assertThat(masked.path("payload").path("accountId").asText()).isEqualTo("***");
            assertThat(masked.path("payload").path("note").asText()).isEqualTo("***");
            // numbers are data too (issue 11): masked like strings
            assertThat(masked.path("payload").path("amount").asText()).isEqualTo("***");
            assertThat(masked.path("cause").path("message").asText()).isEqualTo("***");
            assertThat(masked.path("sequenceKey").asText()).isEqualTo(account);

            properties.getExport().setPayload(PayloadMode.NONE);
            JsonNode none = Http.JSON.readTree(Http.lines(http.get(sequence + "&format=ndjson").body()).get(0));
            assertThat(none.has("payload")).isFalse();
            assertThat(none.path("payloadFormat").asText()).isEqualTo("omitted");
            assertThat(none.path("payloadType").asText()).isEqualTo(AccountCredited.class.getName());
        } finally {
            properties.getExport().setPayload(mode);
        }
        JsonNode audit = lastAudit("export", GROUP);
        assertThat(audit.path("outcome").asText()).isEqualTo("success");
        assertThat(audit.path("detail").asText()).contains("exported");
    }

    @Test
    void exportPagesThroughLargeGroupsInConstantMemory() throws Exception {
        String account = poisoned("export-large", 1_234);

        Http.Response ndjson = http.get("/processing-groups/ledger/export?format=ndjson&sequence=" + account);

        List<String> lines = Http.lines(ndjson.body());
        assertThat(lines).hasSize(1_234);
        Set<String> ids = new HashSet<>();
        long index = 0;
        for (String line : lines) {
            JsonNode letter = Http.JSON.readTree(line);
            assertThat(ids.add(letter.path("id").asText())).isTrue();
            assertThat(letter.path("sequenceIndex").asLong()).isEqualTo(index++);
        }
        assertThat(http.get("/processing-groups/ledger/export?sequence=" + account).json()).hasSize(1_234);
        store.evictSequence(GROUP, account);
    }

    @Test
    void auditListsEveryOperatorActionWithCursors() {
        String account = poisoned("audit", 2);
        ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));
        ok(http.post("/processing-groups/notifications/redeliver-oldest", null));
        ok(http.get("/processing-groups/ledger/export?sequence=" + account));
        ok(http.delete("/letters/" + letters(account).get(1).path("id").asText()));
        ok(http.delete("/processing-groups/ledger/sequences/" + account));
        ok(http.delete("/processing-groups/notifications/letters?confirm=notifications"));

        List<JsonNode> entries = all("/audit", 7);

        Set<String> actions = new HashSet<>();
        entries.forEach(e -> actions.add(e.path("action").asText()));
        assertThat(actions).contains("redeliver-sequence", "redeliver-oldest", "export", "evict-letter",
                                     "evict-sequence", "erase-group");
        Set<String> ids = new HashSet<>();
        entries.forEach(e -> assertThat(ids.add(e.path("id").asText())).isTrue());
        for (int i = 1; i < entries.size(); i++) {
            assertThat(Instant.parse(entries.get(i).path("occurredAt").asText()))
                    .isAfterOrEqualTo(Instant.parse(entries.get(i - 1).path("occurredAt").asText()));
        }
        JsonNode erase = lastAudit("erase-group", "notifications");
        assertThat(erase.path("actor").asText()).isEqualTo(OPERATOR);
        assertThat(erase.path("parameters").path("confirm").asText()).isEqualTo("notifications");
        assertThat(erase.path("processingGroup").asText()).isEqualTo("notifications");
    }

    @Test
    void unreadableLettersAreStillShownExportedRedeliveredAndEvicted() {
        String account = poisoned("unreadable", 1);
        String id = letters(account).get(0).path("id").asText();
        jdbc.update("UPDATE axon_dlq_letter SET payload = ?, payload_type = 'com.example.Gone' WHERE letter_id = ?",
                    "<gone><amount>1</amount></gone>".getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    java.util.UUID.fromString(id));

        JsonNode letter = ok(http.get("/letters/" + id));
        assertThat(letter.path("payloadFormat").asText()).isEqualTo("base64");
        assertThat(java.util.Base64.getDecoder().decode(letter.path("payload").asText()))
                .asString(java.nio.charset.StandardCharsets.UTF_8).isEqualTo("<gone><amount>1</amount></gone>");
        assertThat(letter.path("payloadText").asText()).isEqualTo("<gone><amount>1</amount></gone>");
        assertThat(letter.path("payloadReason").asText()).contains("not JSON").contains("cannot be deserialized");
        assertThat(letter.path("payloadType").asText()).isEqualTo("com.example.Gone");
        assertThat(letter.path("metadata").path("tenant").asText()).isEqualTo("acme");

        PayloadMode mode = properties.getExport().getPayload();
        try {
            properties.getExport().setPayload(PayloadMode.MASKED);
            JsonNode masked = http.get("/processing-groups/ledger/export?sequence=" + account).json().get(0);
            assertThat(masked.path("payloadFormat").asText()).isEqualTo("omitted");
            assertThat(masked.has("payload")).isFalse();
        } finally {
            properties.getExport().setPayload(mode);
        }
        poison.cure(account);
        JsonNode result = ok(http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null));
        assertThat(result.path("outcome").asText()).isEqualTo("UNREADABLE");
        assertThat(result.path("remaining").asLong()).isEqualTo(1);
        assertThat(ok(http.delete("/letters/" + id)).path("removed").asInt()).isEqualTo(1);
    }

    @Test
    void groupsWithLettersButNotRunningHereCanBeReadAndErasedNotRedelivered() {
        String group = "retired-group";
        store.enqueue(group, io.axondlq.core.store.LetterDraft.failed(
                "k-1", org.axonframework.eventhandling.GenericEventMessage.asEventMessage(
                        new AccountCredited("k-1", 1, "old")), new IllegalStateException("old failure"),
                java.util.List.of()));

        JsonNode listed = find(ok(http.get("/processing-groups")).path("items"), "name", group);
        assertThat(listed.path("running").asBoolean()).isFalse();
        assertThat(listed.path("letters").asLong()).isEqualTo(1);
        assertThat(ok(http.get("/processing-groups/" + group + "/letters")).path("items")).hasSize(1);
        assertThat(ok(http.get("/processing-groups/" + group + "/sequences")).path("items")).hasSize(1);

        JsonNode notRunning = problem(http.post("/processing-groups/" + group + "/sequences/k-1/redeliver", null),
                                      404);
        assertThat(notRunning.path("type").asText()).isEqualTo("urn:axon-dlq:problem:processing-group-not-running");
        problem(http.post("/processing-groups/" + group + "/redeliver-oldest", null), 404);

        assertThat(ok(http.delete("/processing-groups/" + group + "/letters?confirm=" + group)).path("removed")
                           .asInt()).isEqualTo(1);
        // no letters and not running: unknown now
        problem(http.get("/processing-groups/" + group + "/letters"), 404);
    }

    @Test
    void unknownPathsAndMethodsUnderTheBasePathAreProblems() {
        JsonNode notFound = problem(http.get("/no-such-endpoint"), 404);
        assertThat(notFound.path("type").asText()).isEqualTo("urn:axon-dlq:problem:unknown-endpoint");
        Http.Response wrongMethod = http.send("PUT", "/processing-groups/ledger/letters", "{}");
        problem(wrongMethod, 405);
        assertThat(wrongMethod.header("Allow")).contains("GET").contains("DELETE");
        // the host application's own error handling is untouched
        Http.Response outside = http.sendRaw("GET", "/not-dead-letters", null);
        assertThat(outside.status()).isEqualTo(404);
        assertThat(outside.contentType()).doesNotStartWith(PROBLEM_JSON);
    }

    private JsonNode lastAudit(String action, String target) {
        List<JsonNode> entries = all("/audit", 500);
        for (int i = entries.size() - 1; i >= 0; i--) {
            JsonNode entry = entries.get(i);
            if (entry.path("action").asText().equals(action)
                    && (target.equals(entry.path("target").asText())
                    || target.equals(entry.path("processingGroup").asText()))) {
                return entry;
            }
        }
        throw new AssertionError("No audit entry " + action + " for " + target + " in " + entries);
    }

    private static JsonNode find(Iterable<JsonNode> items, String field, String value) {
        for (JsonNode item : items) {
            if (value.equals(item.path(field).asText())) {
                return item;
            }
        }
        throw new AssertionError("No item with " + field + "=" + value + " in " + items);
    }
}
