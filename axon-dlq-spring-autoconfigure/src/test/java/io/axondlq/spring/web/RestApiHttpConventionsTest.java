package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.SequenceClaim;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP conventions of the REST API over the real servlet stack (Tomcat, Spring MVC, the test application's
 * authentication filter): writes must be JSON or carry {@value CrossSiteRequestGuard#HEADER}; 401 carries
 * {@code WWW-Authenticate}; a claimed sequence's 409 carries {@code Retry-After}; out-of-range dates are 400; sequences
 * whose keys no path can carry are reached through one of their letters.
 */
class RestApiHttpConventionsTest extends RestApiTestSupport {

    @Test
    void writesThatAreNeitherJsonNorMarkedAreRefusedAndChangeNothing() {
        String account = poisoned("csrf", 2);
        poison.cure(account);
        String letterId = letters(account).get(0).path("id").asText();
        Map<String, Object> before = snapshot();

        // a cross-site form post: form body, no header
        JsonNode form = problem(http.send("DELETE", "/processing-groups/ledger/letters?confirm=ledger",
                                          "confirm=ledger", "Content-Type", "application/x-www-form-urlencoded",
                                          Http.WRITE_HEADER, Http.OMIT), 415);
        assertThat(form.path("type").asText()).isEqualTo("urn:axon-dlq:problem:cross-site-request");
        assertThat(form.path("header").asText()).isEqualTo("X-Axon-DLQ-Request");
        // a no-cors fetch: text/plain (here with a JSON body that would otherwise start a job), or no body at all
        problem(http.send("POST", "/retry-jobs", "{\"processingGroup\": \"ledger\"}", "Content-Type", "text/plain",
                          Http.WRITE_HEADER, Http.OMIT), 415);
        problem(http.send("POST", "/processing-groups/ledger/sequences/" + account + "/redeliver", null,
                          Http.WRITE_HEADER, Http.OMIT), 415);
        problem(http.send("DELETE", "/letters/" + letterId, null, Http.WRITE_HEADER, Http.OMIT), 415);
        assertThat(snapshot()).as("nothing changed by refused writes").isEqualTo(before);

        // a script: JSON (a charset allowed) without the header, or the header without JSON
        Http.Response json = http.send("POST", "/processing-groups/ledger/sequences/" + account + "/redeliver", null,
                                       "Content-Type", "application/json; charset=UTF-8", Http.WRITE_HEADER,
                                       Http.OMIT);
        assertThat(ok(json).path("outcome").asText()).isEqualTo("DRAINED");
        String other = poisoned("csrf-marked", 1);
        String otherLetter = letters(other).get(0).path("id").asText();
        Http.Response marked = http.send("DELETE", "/letters/" + otherLetter, null, Http.WRITE_HEADER, "1",
                                         "Content-Type", Http.OMIT);
        assertThat(ok(marked).path("removed").asInt()).isEqualTo(1);
        // reads need neither
        assertThat(http.get("/processing-groups", Http.WRITE_HEADER, Http.OMIT).status()).isEqualTo(200);
    }

    /**
     * Answers are {@code application/json}, written by the API's own mapper, whatever else the client accepts: not
     * labelled {@code application/problem+json} because the client prefers that for errors, and not handed to the
     * host's converters (its mapper, its settings) for another JSON flavour such as {@code application/hal+json},
     * which is refused with 406 as any type the API does not answer with.
     */
    @Test
    void answersAreJsonWhateverElseTheClientAccepts() {
        poisoned("accept", 1);
        for (String path : List.of("/processing-groups", "/processing-groups/ledger/letters",
                                   "/processing-groups/ledger/sequences", "/processing-groups/ledger/failure-groups",
                                   "/audit", "/retry-jobs", "/me", "/statistics/enqueued-per-hour")) {
            Http.Response preferringProblems = http.get(path, "Accept",
                                                        "application/problem+json, application/json;q=0.9");
            assertThat(preferringProblems.status()).as(path + " " + preferringProblems).isEqualTo(200);
            assertThat(preferringProblems.contentType()).as(path).startsWith("application/json");
            JsonNode refused = problem(http.get(path, "Accept", "application/hal+json"), 406);
            assertThat(refused.path("type").asText()).as(path).isEqualTo(ProblemType.NOT_ACCEPTABLE.type());
        }
    }

    /**
     * The README's list of what an {@code Accept} must take for a JSON answer: {@code application/json} itself, or a
     * wildcard that covers it ({@code *}{@code /*}, {@code application/*}, {@code application/*+json}); the
     * answer is {@code application/json} either way.
     */
    @Test
    void wildcardsThatCoverJsonAreAnsweredWithJson() {
        for (String accept : List.of("application/json", "*/*", "application/*", "application/*+json",
                                     "text/html, application/*+json;q=0.5")) {
            Http.Response answer = http.get("/processing-groups", "Accept", accept);
            assertThat(answer.status()).as(accept + " " + answer).isEqualTo(200);
            assertThat(answer.contentType()).as(accept).startsWith("application/json");
        }
        JsonNode refused = problem(http.get("/processing-groups", "Accept", "text/html"), 406);
        assertThat(refused.path("type").asText()).isEqualTo(ProblemType.NOT_ACCEPTABLE.type());
    }

    /**
     * A body beyond the JSON parser's limits (nesting depth) is refused as such, without the parser's own message,
     * which names its Java API ("from `StreamReadConstraints.getMaxNestingDepth()`").
     */
    @Test
    void aBodyBeyondTheParsersLimitsIsRefusedWithoutItsInternals() {
        Map<String, Object> before = snapshot();
        String deep = "{\"processingGroup\": \"ledger\", \"x\": " + "[".repeat(1500) + "]".repeat(1500) + "}";
        JsonNode refused = problem(http.post("/retry-jobs", deep), 400);
        assertThat(refused.path("type").asText()).isEqualTo("urn:axon-dlq:problem:invalid-request-body");
        assertThat(refused.path("detail").asText()).doesNotContain("StreamReadConstraints").doesNotContain("`")
                                                   .contains("nest");
        assertThat(snapshot()).isEqualTo(before);
    }

    /**
     * OPTIONS is a read like GET and HEAD: the API answers it for its own paths (with their methods in
     * {@code Allow}), 404 where no endpoint is, and not without the read authority.
     */
    @Test
    void optionsIsAnsweredLikeAnyOtherRead() {
        Http.Response known = http.send("OPTIONS", "/processing-groups/ledger/letters", null);
        assertThat(known.status()).as(known.toString()).isEqualTo(200);
        assertThat(known.header("Allow").split(",")).extracting(String::trim)
                                                    .containsExactlyInAnyOrder("DELETE", "GET", "HEAD", "OPTIONS");
        problem(http.send("OPTIONS", "/nothing-here", null), 404);
        JsonNode anonymousOptions = problem(anonymous.send("OPTIONS", "/processing-groups/ledger/letters", null), 401);
        assertThat(anonymousOptions.path("type").asText()).isEqualTo(ProblemType.UNAUTHENTICATED.type());
        // a user without the read authority, as for GET
        problem(anonymous.send("OPTIONS", "/processing-groups/ledger/letters", null, "X-Test-User", "someone"), 403);
        problem(anonymous.get("/processing-groups/ledger/letters", "X-Test-User", "someone"), 403);
    }

    /** A Content-Type that cannot be parsed is named as such, not as "Content type [null]". */
    @Test
    void anUnparseableContentTypeIsSaidToBeOne() {
        Map<String, Object> before = snapshot();
        for (String contentType : List.of("garbage", "application/json; charset=bogus")) {
            JsonNode refused = problem(http.post("/retry-jobs", "{\"processingGroup\": \"ledger\"}",
                                                 "Content-Type", contentType), 415);
            assertThat(refused.path("type").asText()).isEqualTo(ProblemType.UNSUPPORTED_MEDIA_TYPE.type());
            assertThat(refused.path("detail").asText()).as(contentType).doesNotContain("null")
                                                       .contains("Content-Type").contains("application/json");
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void unauthenticatedAnswersCarryTheChallenge() {
        for (Http.Response response : List.of(anonymous.get("/processing-groups"),
                                              anonymous.delete("/letters/" + UUID.randomUUID()),
                                              anonymous.post("/retry-jobs", "{}"))) {
            problem(response, 401);
            assertThat(response.header("WWW-Authenticate")).as(response.toString())
                                                            .isEqualTo("Basic realm=\"axon-dlq\"");
        }
        // only a 401 challenges
        Http.Response forbidden = anonymous.get("/processing-groups", "X-Test-User", "someone");
        problem(forbidden, 403);
        assertThat(forbidden.header("WWW-Authenticate")).isNull();
    }

    @Test
    void aClaimedSequenceAnswersWithRetryAfter() {
        String account = poisoned("retry-after", 1);
        String letterId = letters(account).get(0).path("id").asText();
        // claimed for a minute: more than the test application's lease (axon.dlq.claim.lease=10s), the longest wait
        // the API announces
        SequenceClaim claim = store.claim(GROUP, account, Duration.ofMinutes(1)).orElseThrow();
        try {
            for (Http.Response response : List.of(
                    http.post("/processing-groups/ledger/sequences/" + account + "/redeliver", null),
                    http.post("/letters/" + letterId + "/redeliver-sequence", null))) {
                JsonNode problem = problem(response, 409);
                assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:sequence-claimed");
                assertThat(response.header("Retry-After")).as(response.toString()).isEqualTo("10");
            }
        } finally {
            store.release(claim);
        }
    }

    @Test
    void retryAfterIsTheClaimsRestBoundedByTheLease() {
        Instant now = Instant.parse("2024-05-01T10:00:00Z");
        Duration lease = Duration.ofSeconds(30);
        assertThat(DeadLetterProblemAdvice.retryAfterSeconds(now.plusMillis(2_300), now, lease)).isEqualTo(3);
        assertThat(DeadLetterProblemAdvice.retryAfterSeconds(now.plusSeconds(600), now, lease)).isEqualTo(30);
        assertThat(DeadLetterProblemAdvice.retryAfterSeconds(now.minusSeconds(5), now, lease)).isEqualTo(1);
        assertThat(DeadLetterProblemAdvice.retryAfterSeconds(null, now, lease)).isEqualTo(30);
        assertThat(DeadLetterProblemAdvice.retryAfterSeconds(null, now, Duration.ofMillis(1500))).isEqualTo(2);
    }

    @Test
    void datesOutsideWhatADatabaseStoresAreBadRequests() {
        String letters = "/processing-groups/ledger/letters";
        for (String from : List.of("%2B1000000000-01-01T00:00:00Z", "+1000000000-01-01T00:00:00Z",
                                   "-1000000000-01-01T00:00:00Z", "%2B10000-01-01T00:00:00Z")) {
            JsonNode problem = problem(http.get(letters + "?from=" + from), 400);
            assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:invalid-parameter");
            assertThat(problem.path("parameter").asText()).isEqualTo("from");
            assertThat(problem.path("detail").asText()).contains("9999-12-31");
        }
        JsonNode body = problem(http.post("/retry-jobs", "{\"processingGroup\": \"ledger\", \"filter\": "
                + "{\"to\": \"+1000000000-01-01T00:00:00Z\"}}"), 400);
        assertThat(body.path("member").asText()).isEqualTo("filter.to");
        // the range's ends are fine, and an unencoded '+' of an offset (a space once decoded) is read as '+'
        ok(http.get(letters + "?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z"));
        ok(http.get(letters + "?from=2024-05-01T12:00:00+02:00"));
        ok(http.get(letters + "?from=2024-05-01T12:00:00%2B02:00"));
    }

    @Test
    void aSequenceWhoseKeyNoPathCanCarryIsRedeliveredAndEvictedThroughALetter() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String redeliverKey = "odd/../key\\;%2F%." + suffix;
        String evictKey = "../" + suffix + "/.;x\\%";
        poison.poison(redeliverKey);
        accounts.creditAndAwaitLetters(redeliverKey, 2);
        poison.poison(evictKey);
        accounts.creditAndAwaitLetters(evictKey, 2);

        // by key in the path, the container or the routing refuses or changes it: the sequence stays
        Http.Response byPath = http.post("/processing-groups/ledger/sequences/" + Http.encode(redeliverKey)
                                                 + "/redeliver", null);
        assertThat(byPath.status()).as(byPath.toString()).isGreaterThanOrEqualTo(400);
        assertThat(letters(redeliverKey)).hasSize(2);

        poison.cure(redeliverKey);
        String head = letters(redeliverKey).get(0).path("id").asText();
        JsonNode redelivered = ok(http.post("/letters/" + head + "/redeliver-sequence", null));
        assertThat(redelivered.path("sequenceKey").asText()).isEqualTo(redeliverKey);
        assertThat(redelivered.path("outcome").asText()).isEqualTo("DRAINED");
        assertThat(redelivered.path("redelivered").asInt()).isEqualTo(2);
        assertThat(store.contains(GROUP, redeliverKey)).isFalse();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class,
                                       redeliverKey)).isEqualTo(2);
        problem(http.post("/letters/" + head + "/redeliver-sequence", null), 404);

        String parked = letters(evictKey).get(1).path("id").asText();
        JsonNode evicted = ok(http.delete("/letters/" + parked + "/sequence"));
        assertThat(evicted.path("removed").asInt()).isEqualTo(2);
        assertThat(evicted.path("processingGroup").asText()).isEqualTo(GROUP);
        assertThat(evicted.path("sequenceKey").asText()).isEqualTo(evictKey);
        assertThat(store.contains(GROUP, evictKey)).isFalse();
        problem(http.delete("/letters/" + parked + "/sequence"), 404);

        List<String> audited = all("/audit", 500).stream()
                                                 .filter(e -> List.of(redeliverKey, evictKey)
                                                                  .contains(e.path("target").asText()))
                                                 .map(e -> e.path("action").asText() + " "
                                                         + e.path("outcome").asText())
                                                 .toList();
        assertThat(audited).contains("redeliver-sequence success", "evict-sequence success");
    }
}
