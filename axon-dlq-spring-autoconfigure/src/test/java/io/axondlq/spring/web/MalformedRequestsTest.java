package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Invariant I6 over HTTP: every malformed request (bad cursors, limits, dates, ids, bodies, path tricks and path
 * parameters, cross-site shaped writes) answers 4xx
 * problem+json, never 5xx, and changes nothing in the database (letters, sequences, attempts, audit, jobs, the
 * handler's table). The requests are authenticated with the write authority, so that each is judged on its input alone.
 */
class MalformedRequestsTest extends RestApiTestSupport {

    record Case(String method, String path, String body, int status, String... headers) {
        @Override
        public String toString() {
            return method + " " + (path.length() > 120 ? path.substring(0, 120) + "…" : path)
                    + (body == null ? "" : " " + body);
        }
    }

    @Test
    void malformedRequestsAreProblemsAndChangeNothing() {
        String account = poisoned("malformed", 2);
        String letterId = letters(account).get(0).path("id").asText();
        String unknownId = UUID.randomUUID().toString();
        String letters = "/processing-groups/ledger/letters";
        String jobs = "/retry-jobs";
        String long300 = "g".repeat(300);
        String long1100 = "k".repeat(1100);

        List<Case> cases = new ArrayList<>(List.of(
                // limits
                get(letters + "?limit=0", 400),
                get(letters + "?limit=-1", 400),
                get(letters + "?limit=501", 400),
                get(letters + "?limit=abc", 400),
                get(letters + "?limit=1.5", 400),
                get(letters + "?limit=99999999999999999999", 400),
                get(letters + "?limit=1&limit=2", 400),
                get(letters + "?limit=", 400),
                // cursors
                get(letters + "?cursor=garbage", 400),
                get(letters + "?cursor=", 400),
                get(letters + "?cursor=" + cursor("S|" + account), 400),
                get(letters + "?cursor=" + cursor("L|99999999999999|0|" + unknownId), 400),
                get(letters + "?cursor=" + cursor("L|1|2000000000|" + unknownId), 400),
                get(letters + "?cursor=" + cursor("L|1|0|not-a-uuid"), 400),
                get(letters + "?cursor=%00", 400),
                get(letters + "?cursor=" + "A".repeat(5000), 400),
                get("/processing-groups/ledger/sequences?cursor=AAAA", 400),
                get("/processing-groups/ledger/sequences?cursor=" + cursor("L|1|0|" + unknownId), 400),
                get("/audit?cursor=bad", 400),
                get("/audit?cursor=" + cursor("A|99999999999999999|0|" + unknownId), 400),
                get(jobs + "?cursor=bad", 400),
                // dates and filters
                get(letters + "?from=yesterday", 400),
                get(letters + "?from=2024-13-01T00:00:00Z", 400),
                get(letters + "?to=2024-01-01T25:00:00Z", 400),
                get(letters + "?from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z", 400),
                get(letters + "?from=2024-01-01T00:00:00Z&to=2024-01-01T00:00:00Z", 400),
                get(letters + "?from=1710000000", 400),
                // dates Instant accepts but no database stores (these were 500), a '+' raw or encoded
                get(letters + "?from=%2B1000000000-01-01T00:00:00Z", 400),
                get(letters + "?from=+1000000000-01-01T00:00:00Z", 400),
                get(letters + "?to=-1000000000-01-01T00:00:00Z", 400),
                get(letters + "?to=-999999999-12-31T00:00:00Z", 400),
                get(letters + "?from=%2B10000-01-01T00:00:00Z", 400),
                get(letters + "?from=0000-12-31T23:59:59Z", 400),
                get(letters + "?from=2024-01-01T00:00:00%2B25:00", 400),
                get("/processing-groups/ledger/export?to=%2B999999999-12-31", 400),
                get("/processing-groups/ledger/export?from=+1000000000-01-01T00:00:00Z", 400),
                get(letters + "?causeType=" + "c".repeat(600), 400),
                get(letters + "?sequence=a%00b", 400),
                get(letters + "?foo=bar", 400),
                get("/processing-groups?limit=5", 400),
                get("/processing-groups/ledger/failure-groups?x=1", 400),
                get("/processing-groups/ledger/sequences?limit=0", 400),
                get("/processing-groups/ledger/sequences?limit=501", 400),
                get("/audit?limit=0", 400),
                get("/audit?limit=x", 400),
                get(jobs + "?limit=0", 400),
                // unknown groups, letters, sequences, jobs
                get("/processing-groups/nope/letters", 404),
                get("/processing-groups/nope/sequences", 404),
                get("/processing-groups/nope/failure-groups", 404),
                get("/processing-groups/nope/export", 404),
                get("/processing-groups/" + long300 + "/letters", 400),
                get("/processing-groups/%20/letters", 400),
                get("/processing-groups/%E2%98%83/letters", 404),
                get("/letters/not-a-uuid", 400),
                get("/letters/1-1-1-1-1", 400),
                get("/letters/" + unknownId, 404),
                get("/letters/" + unknownId.toUpperCase() + "0", 400),
                get("/letters/abc;x=1", 400),
                // path parameters: an unencoded ';' would cut the key and name another sequence, one that exists
                get("/processing-groups/ledger;x=1/letters", 400),
                get("/letters/" + letterId + ";", 400),
                get(jobs + "/not-a-uuid", 400),
                get(jobs + "/" + unknownId, 404),
                // exports
                get("/processing-groups/ledger/export?format=xml", 400),
                get("/processing-groups/ledger/export?limit=5", 400),
                get("/processing-groups/ledger/export?from=never", 400),
                get("/processing-groups/ledger/export?format=json&format=ndjson", 400),
                // writes: nothing may change
                new Case("DELETE", "/letters/not-a-uuid", null, 400),
                new Case("DELETE", "/letters/" + unknownId, null, 404),
                new Case("DELETE", "/letters/" + letterId + "?force=true", null, 400),
                new Case("DELETE", letters, null, 400),
                new Case("DELETE", letters + "?confirm=Ledger", null, 400),
                new Case("DELETE", letters + "?confirm=ledger&confirm=ledger", null, 400),
                new Case("DELETE", letters + "?confirm=", null, 400),
                new Case("DELETE", letters + "?confirm=ledger&limit=1", null, 400),
                new Case("DELETE", "/processing-groups/nope/letters?confirm=nope", null, 404),
                new Case("DELETE", "/processing-groups/ledger/sequences/does-not-exist", null, 404),
                new Case("DELETE", "/processing-groups/ledger/sequences/" + account + "?x=1", null, 400),
                new Case("DELETE", "/processing-groups/ledger/sequences/" + long1100, null, 400),
                new Case("DELETE", "/processing-groups/ledger/sequences/" + account + ";v2", null, 400),
                new Case("DELETE", "/letters/" + letterId + ";x=1", null, 400),
                new Case("POST", "/processing-groups/ledger/sequences/" + account + ";x=1/redeliver", null, 400),
                new Case("POST", "/processing-groups/ledger/sequences/does-not-exist/redeliver", null, 404),
                new Case("POST", "/processing-groups/ledger/sequences/" + long1100 + "/redeliver", null, 400),
                new Case("POST", "/processing-groups/nope/sequences/" + account + "/redeliver", null, 404),
                new Case("POST", "/processing-groups/ledger/sequences/" + account + "/redeliver?now=1", null, 400),
                new Case("POST", "/processing-groups/nope/redeliver-oldest", null, 404),
                new Case("POST", "/processing-groups/ledger/redeliver-oldest?x=1", null, 400),
                // sequences addressed through a letter
                new Case("POST", "/letters/not-a-uuid/redeliver-sequence", null, 400),
                new Case("POST", "/letters/" + unknownId + "/redeliver-sequence", null, 404),
                new Case("POST", "/letters/" + letterId + "/redeliver-sequence?now=1", null, 400),
                new Case("DELETE", "/letters/" + unknownId + "/sequence", null, 404),
                new Case("DELETE", "/letters/" + letterId + "/sequence?x=1", null, 400),
                new Case("DELETE", "/letters/" + letterId + "/sequence/x", null, 404),
                get("/letters/" + letterId + "/sequence", 405),
                get("/letters/" + letterId + "/redeliver-sequence", 405),
                // cross-site shaped writes: valid targets, but neither JSON nor the request header (415)
                crossSite("POST", "/processing-groups/ledger/sequences/" + account + "/redeliver", null, null),
                crossSite("POST", "/processing-groups/ledger/sequences/" + account + "/redeliver", "x=1",
                          "application/x-www-form-urlencoded"),
                crossSite("POST", "/processing-groups/ledger/redeliver-oldest", "", "text/plain"),
                crossSite("DELETE", "/letters/" + letterId, null, null),
                crossSite("DELETE", "/letters/" + letterId, null, "text/plain;charset=UTF-8"),
                crossSite("DELETE", "/processing-groups/ledger/sequences/" + account, null, null),
                crossSite("DELETE", letters + "?confirm=ledger", null, null),
                crossSite("DELETE", letters + "?confirm=ledger", "confirm=ledger",
                          "application/x-www-form-urlencoded"),
                crossSite("POST", "/letters/" + letterId + "/redeliver-sequence", null, null),
                crossSite("DELETE", "/letters/" + letterId + "/sequence", "{}", "text/plain"),
                crossSite("POST", jobs, "{\"processingGroup\": \"ledger\"}", "text/plain"),
                crossSite("POST", jobs, "{\"processingGroup\": \"ledger\"}", "text/plain; charset=utf-8"),
                crossSite("POST", jobs, "processingGroup=ledger", "application/x-www-form-urlencoded"),
                crossSite("POST", jobs, "{\"processingGroup\": \"ledger\"}", "application/json; profile=x"),
                crossSite("POST", jobs, "{\"processingGroup\": \"ledger\"}", "application/jsonx"),
                crossSite("POST", jobs, "{\"processingGroup\": \"ledger\"}", "text/json"),
                crossSite("POST", jobs, "{\"processingGroup\": \"ledger\"}", null),
                crossSite("POST", jobs + "/" + unknownId + "/stop", null, null),
                // retry jobs: bodies
                new Case("POST", jobs, "{", 400),
                new Case("POST", jobs, "[]", 400),
                new Case("POST", jobs, "\"ledger\"", 400),
                new Case("POST", jobs, "", 400),
                new Case("POST", jobs, "{}", 400),
                new Case("POST", jobs, "{\"processingGroup\": 5}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"\"}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"batchSize\": \"ten\"}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"batchSize\": 0}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"batchSize\": 2.5}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"maxSequences\": 99999999999}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"cooldown\": \"soon\"}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"cooldown\": \"-PT1S\"}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"cooldown\": 5}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"filter\": []}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"filter\": {\"from\": \"yesterday\"}}",
                         400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"filter\": {\"from\": "
                        + "\"2024-02-01T00:00:00Z\", \"to\": \"2024-01-01T00:00:00Z\"}}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"filter\": {\"sequence\": \"x\"}}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"filter\": {\"from\": "
                        + "\"+1000000000-01-01T00:00:00Z\"}}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"filter\": {\"to\": "
                        + "\"-999999999-01-01T00:00:00Z\"}}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"bogus\": 1}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\", \"processingGroup\": \"ledger\"}", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\"} trailing", 400),
                new Case("POST", jobs, "{\"processingGroup\": \"nope\"}", 404),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\"}", 415, "Content-Type", "text/plain"),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\"}", 400, "Idempotency-Key", "k".repeat(300)),
                new Case("POST", jobs, "{\"processingGroup\": \"ledger\"}", 400, "Idempotency-Key", "has space"),
                new Case("POST", jobs + "/" + unknownId + "/stop", null, 404),
                new Case("POST", jobs + "/nope/stop", null, 400),
                // paths and methods nobody serves
                get("/nothing-here", 404),
                get("", 404),
                get("/", 404),
                get("/processing-groups/ledger", 404),
                get("/processing-groups/ledger/letters/extra", 404),
                new Case("POST", "/letters/" + letterId, null, 405),
                new Case("PUT", letters, "{}", 405),
                new Case("PATCH", "/letters/" + letterId, "{}", 405),
                get("/processing-groups/ledger/sequences/" + account + "/redeliver", 405),
                new Case("DELETE", "/audit", null, 405),
                new Case("POST", "/processing-groups", "{}", 405),
                // multipart bodies, which the API never takes (a truncated one used to fail before any handler: 500)
                new Case("POST", jobs, MultipartRequestsTest.TRUNCATED, 415, "Content-Type",
                         MultipartRequestsTest.MULTIPART),
                new Case("POST", "/processing-groups/ledger/sequences/" + account + "/redeliver",
                         MultipartRequestsTest.TRUNCATED, 415, "Content-Type", MultipartRequestsTest.MULTIPART),
                new Case("DELETE", letters + "?confirm=ledger", MultipartRequestsTest.WELL_FORMED, 415,
                         "Content-Type", MultipartRequestsTest.MULTIPART),
                // media types
                new Case("GET", "/letters/" + letterId, null, 406, "Accept", "application/xml"),
                new Case("GET", "/processing-groups/ledger/export", null, 400, "Accept", "not a media type")));

        Map<String, Object> before = snapshot();
        List<String> failures = new ArrayList<>();
        for (Case c : cases) {
            Http.Response response = http.send(c.method(), c.path(), c.body(), c.headers());
            String problem = check(c, response);
            if (problem != null) {
                failures.add(c + " → " + problem);
            }
        }
        assertThat(failures).as("requests answered wrongly").isEmpty();
        assertThat(cases).hasSizeGreaterThanOrEqualTo(40);
        assertThat(snapshot()).as("database after %d malformed requests", cases.size()).isEqualTo(before);
        // and the letters are still there, unchanged
        assertThat(letters(account)).hasSize(2);
    }

    private static String check(Case c, Http.Response response) {
        if (response.status() != c.status()) {
            return "status " + response;
        }
        if (!response.contentType().startsWith(PROBLEM_JSON)) {
            return "content type " + response;
        }
        JsonNode body;
        try {
            body = response.json();
        } catch (AssertionError e) {
            return "body " + response;
        }
        if (!body.path("type").asText().startsWith("urn:axon-dlq:problem:") || body.path("title").asText().isBlank()
                || body.path("detail").asText().isBlank() || body.path("status").asInt() != c.status()) {
            return "problem document " + response;
        }
        return null;
    }

    /** A write without the request header, as a cross-site form or no-cors fetch sends it: 415. */
    private static Case crossSite(String method, String path, String body, String contentType) {
        return new Case(method, path, body, 415, Http.WRITE_HEADER, Http.OMIT, "Content-Type",
                        contentType == null ? Http.OMIT : contentType);
    }

    private static Case get(String path, int status) {
        return new Case("GET", path, null, status);
    }

    private static String cursor(String plain) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }
}
