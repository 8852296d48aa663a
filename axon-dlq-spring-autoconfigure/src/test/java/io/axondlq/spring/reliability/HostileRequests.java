package io.axondlq.spring.reliability;

import io.axondlq.spring.reliability.RawHttp.Request;
import io.axondlq.spring.web.CrossSiteRequestGuard;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A seeded generator of malformed requests for every endpoint of the REST API under {@code /dead-letters}: bad JSON,
 * wrong types, huge and negative limits, unknown ids, forged cursors, SQL metacharacters, unicode and path tricks in
 * names and keys, path parameters, out-of-range and signed dates, oversized and truncated (multipart) bodies, wrong
 * methods and media types, and cross-site shaped writes (valid targets, but no JSON declaration and no {@code X-Axon-DLQ-Request} header).
 * <p>
 * Every request that could change data (every POST and DELETE, and the export, which audits itself) carries at least one
 * definite defect, so a 2xx answer to it is a bug. Existing keys and ids only ever appear next to such a defect (an
 * unknown parameter, say, or a path parameter), never inside a path trick that the server might normalize into a valid
 * request. Reads may legitimately answer 2xx to odd but valid input (a filter value full of SQL metacharacters, say).
 */
final class HostileRequests {

    static final String BASE = "/dead-letters";
    /**
     * A multipart body with one part and no closing boundary (one without any boundary line, such as {@code x=1}, parses
     * as no parts at all).
     */
    static final String TRUNCATED_MULTIPART = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";

    /** Endpoints, as {@code METHOD pattern}; every one gets the same number of requests. */
    static final List<String> ENDPOINTS = List.of(
            "GET /processing-groups",
            "GET /processing-groups/{group}/letters",
            "GET /processing-groups/{group}/sequences",
            "GET /processing-groups/{group}/failure-groups",
            "GET /processing-groups/{group}/export",
            "GET /letters/{id}",
            "DELETE /letters/{id}",
            "POST /letters/{id}/redeliver-sequence",
            "DELETE /letters/{id}/sequence",
            "POST /processing-groups/{group}/sequences/{key}/redeliver",
            "DELETE /processing-groups/{group}/sequences/{key}",
            "POST /processing-groups/{group}/redeliver-oldest",
            "DELETE /processing-groups/{group}/letters",
            "POST /retry-jobs",
            "GET /retry-jobs",
            "GET /retry-jobs/{id}",
            "POST /retry-jobs/{id}/stop",
            "GET /audit");

    private final Random random;
    private final String group;
    private final List<String> keys;
    private final List<String> letterIds;
    private final List<String> jobIds;
    private final boolean knownBugs;

    /**
     * @param knownBugs whether to send the requests of known, reported bugs too (see
     *                  {@code RestApiReliabilityTest#forgedSequenceCursorWithNulIsAClientError})
     */
    HostileRequests(long seed, String group, List<String> keys, List<String> letterIds, List<String> jobIds,
                    boolean knownBugs) {
        this.knownBugs = knownBugs;
        this.random = new Random(seed);
        this.group = group;
        this.keys = List.copyOf(keys);
        this.letterIds = List.copyOf(letterIds);
        this.jobIds = List.copyOf(jobIds);
    }

    /** Whether a request to this endpoint may change data when it is accepted. */
    static boolean writes(String endpoint) {
        return !endpoint.startsWith("GET") || endpoint.endsWith("/export");
    }

    List<Request> generate(int perEndpoint) {
        List<Request> requests = new ArrayList<>();
        for (String endpoint : ENDPOINTS) {
            for (int i = 0; i < perEndpoint; i++) {
                requests.add(generate(endpoint));
            }
        }
        return requests;
    }

    private Request generate(String endpoint) {
        return switch (endpoint) {
            case "GET /processing-groups" -> pick(
                    () -> get(endpoint, "/processing-groups?" + badParam(), "parameter"),
                    () -> get(endpoint, "/processing-groups?limit=" + badLimit(), "limit"),
                    () -> get(endpoint, "/processing-groups/" + pathTrick(), "path"),
                    () -> req(endpoint, wrongMethod("GET"), "/processing-groups", null, "method"),
                    () -> get(endpoint, "/processing-groups", "accept", "Accept", badAccept()));
            case "GET /processing-groups/{group}/letters" -> listing(endpoint, "letters", true);
            case "GET /processing-groups/{group}/sequences" -> listing(endpoint, "sequences", false);
            case "GET /processing-groups/{group}/failure-groups" -> pick(
                    () -> get(endpoint, groupPath(badGroup()) + "/failure-groups", "unknown group"),
                    () -> get(endpoint, groupPath(group) + "/failure-groups?" + badParam(), "parameter"),
                    () -> get(endpoint, groupPath(group) + "/failure-groups?limit=" + badLimit(), "limit"),
                    () -> get(endpoint, groupPath(rawTrick()) + "/failure-groups", "raw group"),
                    () -> req(endpoint, wrongMethod("GET"), groupPath(group) + "/failure-groups", null, "method"));
            case "GET /processing-groups/{group}/export" -> pick(
                    () -> get(endpoint, groupPath(group) + "/export?" + badParam(), "parameter"),
                    () -> get(endpoint, groupPath(group) + "/export?format=" + badFormat(), "format"),
                    () -> get(endpoint, groupPath(group) + "/export?format=json&format=ndjson", "format twice"),
                    () -> get(endpoint, groupPath(group) + "/export?from=" + badDate(), "from"),
                    () -> get(endpoint, groupPath(group) + "/export?to=" + badDate(), "to"),
                    () -> get(endpoint, groupPath(group) + "/export?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
                              "range"),
                    () -> get(endpoint, groupPath(group) + "/export?sequence=" + tooLong(1100) , "long filter"),
                    () -> get(endpoint, groupPath(group) + "/export?causeType=" + nul(), "NUL filter"),
                    () -> get(endpoint, groupPath(group) + "/export?limit=" + badLimit(), "limit"),
                    () -> get(endpoint, groupPath(group) + "/export?cursor=" + forgedCursor(), "cursor"),
                    () -> get(endpoint, groupPath(badGroup()) + "/export", "unknown group"),
                    () -> get(endpoint, groupPath(rawTrick()) + "/export", "raw group"),
                    () -> get(endpoint, groupPath(group) + "/export", "accept", "Accept",
                              pickOf("application/x-ndjson;q=abc", "application/json;q=", "/", "application/;",
                                     "text/html;;q=0.5,=")),
                    () -> req(endpoint, pickOf("PUT", "POST", "PATCH", "DELETE"), groupPath(group) + "/export", null,
                              "method"));
            case "GET /letters/{id}" -> pick(
                    () -> get(endpoint, "/letters/" + badUuid(), "bad id"),
                    () -> get(endpoint, "/letters/" + UUID.randomUUID(), "unknown id"),
                    () -> get(endpoint, "/letters/" + UUID.randomUUID().toString().toUpperCase(), "unknown upper id"),
                    () -> get(endpoint, "/letters/" + pickOf(letterIds) + "?" + badParam(), "parameter"),
                    () -> get(endpoint, "/letters/" + pathTrick(), "path"),
                    () -> get(endpoint, "/letters/" + rawTrick(), "raw id"));
            case "DELETE /letters/{id}" -> pick(
                    () -> delete(endpoint, "/letters/" + badUuid(), "bad id"),
                    () -> delete(endpoint, "/letters/" + UUID.randomUUID(), "unknown id"),
                    () -> delete(endpoint, "/letters/" + pickOf(letterIds) + "?" + badParam(), "parameter"),
                    () -> delete(endpoint, "/letters/" + pickOf(letterIds) + "?force=true&force=false", "params"),
                    () -> delete(endpoint, "/letters/" + unknownPathTrick(), "path"),
                    () -> delete(endpoint, "/letters/" + rawTrick(), "raw id"),
                    () -> delete(endpoint, "/letters/" + UUID.randomUUID() + "/" + UUID.randomUUID(), "extra segment"),
                    () -> crossSite(endpoint, "DELETE", "/letters/" + pickOf(letterIds)));
            case "POST /letters/{id}/redeliver-sequence", "DELETE /letters/{id}/sequence" -> {
                String method = endpoint.substring(0, endpoint.indexOf(' '));
                String action = endpoint.endsWith("/sequence") ? "/sequence" : "/redeliver-sequence";
                yield pick(
                        () -> req(endpoint, method, "/letters/" + badUuid() + action, null, "bad id"),
                        () -> req(endpoint, method, "/letters/" + UUID.randomUUID() + action, null, "unknown id"),
                        () -> req(endpoint, method, "/letters/" + pickOf(letterIds) + action + "?" + badParam(), null,
                                  "parameter"),
                        () -> req(endpoint, method, "/letters/" + rawTrick() + action, null, "raw id"),
                        () -> req(endpoint, method, "/letters/" + unknownPathTrick() + action, null, "path"),
                        () -> req(endpoint, wrongMethod(method), "/letters/" + pickOf(letterIds) + action, null,
                                  "method"),
                        () -> crossSite(endpoint, method, "/letters/" + pickOf(letterIds) + action));
            }
            case "POST /processing-groups/{group}/sequences/{key}/redeliver" -> pick(
                    () -> post(endpoint, groupPath(group) + "/sequences/" + unknownKey() + "/redeliver", null,
                               "unknown key"),
                    () -> post(endpoint, groupPath(group) + "/sequences/" + pickOf(keys) + "/redeliver?"
                            + badParam(), null, "parameter"),
                    () -> post(endpoint, groupPath(badGroup()) + "/sequences/" + pickOf(keys) + "/redeliver", null,
                               "unknown group"),
                    () -> post(endpoint, groupPath(group) + "/sequences/" + tooLong(1100) + "/redeliver", null,
                               "long key"),
                    () -> post(endpoint, groupPath(group) + "/sequences/" + rawTrick() + "/redeliver", null,
                               "raw key"),
                    () -> post(endpoint, groupPath(group) + "/sequences/" + unknownPathTrick() + "/redeliver", null,
                               "path"),
                    () -> post(endpoint, groupPath(group) + "/sequences/" + pickOf(keys) + pathParameter()
                            + "/redeliver", null, "path parameter"),
                    () -> req(endpoint, wrongMethod("POST"), groupPath(group) + "/sequences/" + pickOf(keys)
                            + "/redeliver", null, "method"),
                    () -> crossSite(endpoint, "POST", groupPath(group) + "/sequences/" + pickOf(keys) + "/redeliver"));
            case "DELETE /processing-groups/{group}/sequences/{key}" -> pick(
                    () -> delete(endpoint, groupPath(group) + "/sequences/" + unknownKey(), "unknown key"),
                    () -> delete(endpoint, groupPath(group) + "/sequences/" + pickOf(keys) + "?" + badParam(),
                                 "parameter"),
                    () -> delete(endpoint, groupPath(badGroup()) + "/sequences/" + pickOf(keys), "unknown group"),
                    () -> delete(endpoint, groupPath(group) + "/sequences/" + tooLong(1100), "long key"),
                    () -> delete(endpoint, groupPath(group) + "/sequences/" + rawTrick(), "raw key"),
                    () -> delete(endpoint, groupPath(group) + "/sequences/" + unknownPathTrick(), "path"),
                    () -> delete(endpoint, groupPath(group) + "/sequences/" + pickOf(keys) + pathParameter(),
                                 "path parameter"),
                    () -> req(endpoint, pickOf("PUT", "PATCH", "POST"), groupPath(group) + "/sequences/"
                            + pickOf(keys), "{}", "method"),
                    () -> crossSite(endpoint, "DELETE", groupPath(group) + "/sequences/" + pickOf(keys)));
            case "POST /processing-groups/{group}/redeliver-oldest" -> pick(
                    () -> post(endpoint, groupPath(group) + "/redeliver-oldest?" + badParam(), null, "parameter"),
                    () -> post(endpoint, groupPath(badGroup()) + "/redeliver-oldest", null, "unknown group"),
                    () -> post(endpoint, groupPath(rawTrick()) + "/redeliver-oldest", null, "raw group"),
                    () -> post(endpoint, groupPath(tooLong(300)) + "/redeliver-oldest", null, "long group"),
                    () -> req(endpoint, wrongMethod("POST"), groupPath(group) + "/redeliver-oldest", null,
                              "method"),
                    () -> crossSite(endpoint, "POST", groupPath(group) + "/redeliver-oldest"));
            case "DELETE /processing-groups/{group}/letters" -> pick(
                    () -> delete(endpoint, groupPath(group) + "/letters", "no confirm"),
                    () -> delete(endpoint, groupPath(group) + "/letters?confirm=" + badConfirm(), "bad confirm"),
                    () -> delete(endpoint, groupPath(group) + "/letters?confirm=" + group + "&confirm=" + group,
                                 "confirm twice"),
                    () -> delete(endpoint, groupPath(group) + "/letters?confirm=" + group + "&" + badParam(),
                                 "extra parameter"),
                    () -> {
                        String unknown = pickOf("nope", "PROJECTION", "projection%20", "proj%25");
                        return delete(endpoint, groupPath(unknown) + "/letters?confirm=" + unknown, "unknown group");
                    },
                    () -> delete(endpoint, groupPath(rawTrick()) + "/letters?confirm=" + group, "raw group"),
                    () -> crossSite(endpoint, "DELETE", groupPath(group) + "/letters?confirm=" + group));
            case "POST /retry-jobs" -> retryJob(endpoint);
            case "GET /retry-jobs" -> pick(
                    () -> get(endpoint, "/retry-jobs?limit=" + badLimit(), "limit"),
                    () -> get(endpoint, "/retry-jobs?cursor=" + forgedCursor(), "cursor"),
                    () -> get(endpoint, "/retry-jobs?" + badParam(), "parameter"),
                    () -> req(endpoint, pickOf("PUT", "DELETE", "PATCH"), "/retry-jobs", null, "method"));
            case "GET /retry-jobs/{id}" -> pick(
                    () -> get(endpoint, "/retry-jobs/" + badUuid(), "bad id"),
                    () -> get(endpoint, "/retry-jobs/" + UUID.randomUUID(), "unknown id"),
                    () -> get(endpoint, "/retry-jobs/" + pickOf(jobIds) + "?" + badParam(), "parameter"),
                    () -> get(endpoint, "/retry-jobs/" + rawTrick(), "raw id"),
                    () -> req(endpoint, pickOf("PUT", "DELETE", "PATCH"), "/retry-jobs/" + pickOf(jobIds), null,
                              "method"));
            case "POST /retry-jobs/{id}/stop" -> pick(
                    () -> post(endpoint, "/retry-jobs/" + badUuid() + "/stop", null, "bad id"),
                    () -> post(endpoint, "/retry-jobs/" + UUID.randomUUID() + "/stop", null, "unknown id"),
                    () -> post(endpoint, "/retry-jobs/" + pickOf(jobIds) + "/stop?" + badParam(), null, "parameter"),
                    () -> post(endpoint, "/retry-jobs/" + rawTrick() + "/stop", null, "raw id"),
                    () -> req(endpoint, wrongMethod("POST"), "/retry-jobs/" + pickOf(jobIds) + "/stop", null,
                              "method"),
                    () -> crossSite(endpoint, "POST", "/retry-jobs/" + pickOf(jobIds) + "/stop"));
            case "GET /audit" -> pick(
                    () -> get(endpoint, "/audit?limit=" + badLimit(), "limit"),
                    () -> get(endpoint, "/audit?cursor=" + forgedCursor(), "cursor"),
                    () -> get(endpoint, "/audit?" + badParam(), "parameter"),
                    () -> req(endpoint, pickOf("PUT", "DELETE", "POST"), "/audit", "{}", "method"));
            default -> throw new IllegalArgumentException(endpoint);
        };
    }

    private Request listing(String endpoint, String what, boolean filters) {
        List<Supplier<Request>> choices = new ArrayList<>(List.of(
                () -> get(endpoint, groupPath(group) + "/" + what + "?limit=" + badLimit(), "limit"),
                () -> get(endpoint, groupPath(group) + "/" + what + "?cursor=" + forgedCursor(), "cursor"),
                () -> get(endpoint, groupPath(group) + "/" + what + "?" + badParam(), "parameter"),
                () -> get(endpoint, groupPath(badGroup()) + "/" + what, "unknown group"),
                () -> get(endpoint, groupPath(rawTrick()) + "/" + what, "raw group"),
                () -> get(endpoint, groupPath(group) + "/" + what + "?limit=5&limit=6", "limit twice"),
                () -> req(endpoint, wrongMethod("GET"), groupPath(group) + "/" + what, null, "method")));
        if (filters) {
            choices.add(() -> get(endpoint, groupPath(group) + "/" + what + "?from=" + badDate(), "from"));
            choices.add(() -> get(endpoint, groupPath(group) + "/" + what + "?sequence=" + sqlOrUnicode(), "filter"));
            choices.add(() -> get(endpoint, groupPath(group) + "/" + what + "?causeType=" + tooLong(600),
                                  "long filter"));
            choices.add(() -> get(endpoint, groupPath(group) + "/" + what + "?payloadType=" + nul(), "NUL filter"));
        }
        return choices.get(random.nextInt(choices.size())).get();
    }

    private Request retryJob(String endpoint) {
        String json = "application/json";
        return pick(
                () -> post(endpoint, "/retry-jobs", badJson(), "bad JSON", "Content-Type", json),
                () -> post(endpoint, "/retry-jobs", wrongTypes(), "wrong types", "Content-Type", json),
                () -> post(endpoint, "/retry-jobs", "{\"processingGroup\": \"" + group + "\", \""
                        + pickOf("bogus", "sequence", "processinggroup", "batch_size", "$where", "__proto__")
                        + "\": 1}", "unknown member", "Content-Type", json),
                () -> post(endpoint, "/retry-jobs", "{\"processingGroup\": \"" + pickOf("nope", "PROJECTION",
                                                                                           "projection ", "' OR '1'='1",
                                                                                           "projection\\u0000")
                        + "\"}", "unknown group", "Content-Type", json),
                () -> post(endpoint, "/retry-jobs", validJob(), "content type", "Content-Type", badContentType()),
                () -> post(endpoint, "/retry-jobs", validJob(), "idempotency key", "Content-Type", json,
                           "Idempotency-Key", pickOf("has space", "k".repeat(300), "tab\tkey", "ünïcode")),
                () -> post(endpoint, "/retry-jobs?" + badParam(), validJob(), "parameter", "Content-Type", json),
                () -> post(endpoint, "/retry-jobs", oversized(), "oversized", "Content-Type", json),
                () -> req(endpoint, "POST", "/retry-jobs", null, "no body", "Content-Type", json),
                () -> req(endpoint, pickOf("PUT", "PATCH", "DELETE"), "/retry-jobs", validJob(), "method",
                          "Content-Type", json),
                () -> reqBytes(endpoint, "POST", "/retry-jobs", badBytes(), "bad bytes", "Content-Type", json),
                () -> post(endpoint, "/retry-jobs", TRUNCATED_MULTIPART, "truncated multipart", "Content-Type",
                           "multipart/form-data; boundary=x"),
                () -> crossSiteBody(endpoint, "/retry-jobs", validJob()));
    }

    // --- building blocks ------------------------------------------------------------------------------------------

    private String badFormat() {
        List<String> formats = new ArrayList<>(List.of("xml", "csv", "NDJSONX", "", "%00", "j%C3%A9son",
                                                       "ndjson,json", "json;", "%E2%80%8Bjson"));
        if (knownBugs) {
            // Known bug: trim() strips the NUL, so the export runs (and is audited).
            formats.add("json%00");
            formats.add("ndjson%00");
        }
        return pickOf(formats);
    }

    private String badContentType() {
        List<String> types = new ArrayList<>(List.of("text/plain", "application/xml", "garbage", "application/",
                                                     "multipart/form-data; boundary=x", "text/json;;",
                                                     "application/x-www-form-urlencoded"));
        if (knownBugs) {
            // Known bug: Spring refuses a wildcard Content-Type with IllegalArgumentException before the controller
            // checks it: 500.
            types.add("*/*");
            types.add("application/*");
        }
        return pickOf(types);
    }

    private String badLimit() {
        return pickOf("0", "-1", "-2147483648", "2147483648", "99999999999999999999", "501", "1000000", "1e3", "0x10",
                      "1.5", "abc", "", "%20", "1%00", "1;DROP%20TABLE%20x", "NaN", "-0.0", "%2B5%2B", "%EF%BC%95%EF%BC%90%EF%BC%90%EF%BC%90",
                      "null", "[1]", "%7B%7D");
    }

    private String badParam() {
        return pickOf("foo=bar", "limit=1&limit=2", "x=%27%20OR%201%3D1--", "%00=1", "a%00b=c", "confirm=yes",
                      "cursor=", "from=yesterday", "%E2%80%AE=1", "__proto__=1", "sort=letter_id;DROP%20TABLE%20x",
                      "limit=-1", "format=xml", "sequence=" + tooLong(1100));
    }

    private String badDate() {
        return pickOf("yesterday", "2024-13-01T00:00:00Z", "2024-01-01T25:00:00Z", "1710000000", "-1", "%00",
                      "2024-02-30", "10000-01-01T00:00:00Z", "2024-01-01T00:00:00Z%27--", "P1D", "now",
                      // signed years Instant accepts but no database stores; '+' raw (a space once decoded) or encoded
                      "+1000000000-01-01T00:00:00Z", "%2B1000000000-01-01T00:00:00Z", "-1000000000-01-01T00:00:00Z",
                      "%2B10000-01-01T00:00:00Z", "-0001-01-01T00:00:00Z", "0000-12-31T23:59:59Z",
                      "%2B999999999-12-31", "2024-01-01T00:00:00%2B25:00");
    }

    private String badUuid() {
        return pickOf("not-a-uuid", "1-1-1-1-1", UUID.randomUUID() + "0", "%7B" + UUID.randomUUID() + "%7D",
                      UUID.randomUUID().toString().replace("-", ""), "%27%20OR%20%271%27%3D%271", "00000000",
                      tooLong(200), "%00", "..%2F..%2Faudit", UUID.randomUUID().toString().replace('a', 'g'));
    }

    private String badGroup() {
        return pickOf("nope", "PROJECTION", "projection%20", "%20projection", "projection%27--",
                      "%27%3B%20DROP%20TABLE%20axon_dlq_letter%3B--", "proj%C3%A9ction", "%EF%BC%B0ROJECTION",
                      "projection%E2%80%8B", "%E2%80%AEnoitcejorp", "%F0%9F%92%A5", "%25", "*", "%2A",
                      "%24%7Bjndi%3Aldap%3A%2F%2Fx%7D", tooLong(300), "%20");
    }

    private String badConfirm() {
        return pickOf("", "Projection", "PROJECTION", group + "%20", "%20" + group, group + "%00", group + "%E2%80%8B",
                      "*", "%25", "%27%20OR%20%271%27%3D%271", "true", "yes", group + "s", "pro" + "jection%0A");
    }

    private String unknownKey() {
        return pickOf("does-not-exist", "agg-999999", "~long:abc", "~uuid:zzz", "~", "~long:", "%7Elong%3A1",
                      "%27%3B%20DROP%20TABLE%20axon_dlq_letter%3B--", "poison-1%20", "%20poison-1", "Poison-1",
                      "poison%E2%80%901", "poison-1%E2%80%8B", "poison-%EF%BC%91", "po%CC%88ison-1", "%F0%9F%92%A5",
                      "%C3%A9t%C3%A9", "%E2%80%AEpoison", "%25", "%2525", "*", "%2A", "null", "undefined");
    }

    private String sqlOrUnicode() {
        return pickOf("%27%20OR%20%271%27%3D%271", "%27%3B%20DELETE%20FROM%20axon_dlq_letter%3B--", "%5C%27", "%25",
                      "_", "%5C", "%E2%80%AE", "%F0%9F%92%A5", "poison-1%27--", "%22%3E%3Cscript%3E");
    }

    /** Percent-encoded path tricks that name nothing existing. */
    private String pathTrick() {
        return pickOf("..", "%2e%2e", "..%2F..%2Fletters", "%2F", "%5C..%5C", "%252e%252e", "..%3B", ".%00.",
                      "x%2F..%2F..", ";", "%3B", "x;jsessionid=1", "..;", "%C0%AE%C0%AE", "%FF%FE", "%E0%80%AF",
                      "%0D%0AX-Injected:%201", "%09", "%EF%BB%BF", tooLong(5000));
    }

    /**
     * An unencoded ';' after an existing key: Spring would drop it and what follows from the path variable, so the
     * request would reach that existing sequence if the API did not refuse path parameters.
     */
    private String pathParameter() {
        return pickOf(";", ";x", ";v2", ";x=1", ";jsessionid=1", ";a=1;b=2");
    }

    /** Path tricks with raw slashes and dots, never around an existing key. */
    private String unknownPathTrick() {
        return pickOf("x/../nope", "../nope", "./nope", "nope/.", "nope/..", "..;/nope", "nope//x", "%2e%2e/nope",
                      "nope%2F..", "..%5Cnope", "nope%3B..");
    }

    /** Bytes Tomcat sees raw: unencoded unicode, spaces, quotes, control characters. */
    private String rawTrick() {
        return pickOf("ünïcödé", "pro jection", "a\"b", "<script>", "{x}", "a|b", "back\\slash", "`tick`",
                      "💥", "‮noitcejorp", "poison‐1", "a^b", "%", "%G1", "%%", "%0");
    }

    private String forgedCursor() {
        String uuid = UUID.randomUUID().toString();
        if (knownBugs && random.nextInt(10) == 0) {
            // Known bug: a sequence cursor whose key holds NUL reaches PostgreSQL and answers 500.
            return pickOf(b64("S|\u0000"), b64("S|agg\u0000-1"));
        }
        return pickOf("garbage", "", "%00", "A".repeat(5000), "====", "+/+/", "%2B%2F",
                      b64("L|99999999999999|0|" + uuid), b64("L|1|2000000000|" + uuid), b64("L|1|0|not-a-uuid"),
                      b64("L|-99999999999|0|" + uuid), b64("L|1|-1|" + uuid), b64("L|"), b64("L"), b64("X|1"),
                      b64("S|' OR '1'='1"), b64("S|\u0001"), b64("S|\uFFFF"), b64("S|" + "k".repeat(3000)),
                      b64("H|1|0|key"), b64("A|99999999999999999|0|" + uuid), b64("A|1|0|" + uuid + "' --"),
                      b64("J|1|0|" + uuid), b64("R|abc"), b64("\uFFFF\uFFFE"),
                      Base64.getEncoder().encodeToString("L|1|0|x".getBytes(StandardCharsets.UTF_8)),
                      b64("L|1|0|" + uuid) + "%00", b64("L|1|0|" + uuid) + "==");
    }

    private String badJson() {
        return pickOf("{", "}", "[]", "null", "\"" + group + "\"", "1", "true", "{\"processingGroup\":}",
                      "{\"processingGroup\":\"" + group + "\",}", "{'processingGroup':'" + group + "'}",
                      "{\"processingGroup\":\"" + group + "\"} trailing", "{\"processingGroup\":\"" + group + "\"}{}",
                      "{\"processingGroup\":\"" + group + "\",\"processingGroup\":\"" + group + "\"}",
                      "{\"processingGroup\":\"" + group + "\",\"batchSize\":NaN}",
                      "{\"processingGroup\":\"" + group + "\",\"batchSize\":Infinity}",
                      "{\"processingGroup\":\"" + group + "\" /* comment */}",
                      "\uFEFF{", "[".repeat(3000), "{\"a\":".repeat(2000) + "1" + "}".repeat(2000),
                      "{\"processingGroup\":\"" + group + "\",\"filter\":{\"causeType\":\"x\\u0000\"}}",
                      "{\"processingGroup\":\"" + group + "\",\"batchSize\":1e400}",
                      "{\"processingGroup\":\"\\ud800\"}", " ", "\n\n");
    }

    private String wrongTypes() {
        String g = "\"processingGroup\": \"" + group + "\"";
        return "{" + pickOf("\"processingGroup\": 5", "\"processingGroup\": [\"" + group + "\"]",
                            "\"processingGroup\": {\"name\": \"" + group + "\"}", "\"processingGroup\": null",
                            "\"processingGroup\": true", "\"processingGroup\": \"\"", "\"processingGroup\": \"   \"",
                            g + ", \"batchSize\": \"ten\"", g + ", \"batchSize\": 0", g + ", \"batchSize\": -5",
                            g + ", \"batchSize\": 2.5", g + ", \"batchSize\": 99999999999", g + ", \"batchSize\": true",
                            g + ", \"batchSize\": 1001", g + ", \"maxSequences\": 0",
                            g + ", \"maxSequences\": 99999999999", g + ", \"maxSequences\": \"all\"",
                            g + ", \"cooldown\": 5", g + ", \"cooldown\": \"soon\"", g + ", \"cooldown\": \"-PT1S\"",
                            g + ", \"cooldown\": \"PT2H\"", g + ", \"cooldown\": \"\"", g + ", \"cooldown\": [1]",
                            g + ", \"filter\": []", g + ", \"filter\": \"x\"", g + ", \"filter\": 1",
                            g + ", \"filter\": {\"from\": \"yesterday\"}",
                            g + ", \"filter\": {\"from\": \"2030-01-01T00:00:00Z\", \"to\": \"2020-01-01T00:00:00Z\"}",
                            g + ", \"filter\": {\"sequence\": \"x\"}", g + ", \"filter\": {\"causeType\": 7}",
                            g + ", \"filter\": {\"from\": \"+1000000000-01-01T00:00:00Z\"}",
                            g + ", \"filter\": {\"to\": \"-999999999-01-01T00:00:00Z\"}",
                            g + ", \"filter\": {\"payloadType\": \"" + "p".repeat(600) + "\"}",
                            g + ", \"filter\": {\"causeType\": \"' OR 1=1 --\"}, \"batchSize\": 0") + "}";
    }

    private String validJob() {
        return "{\"processingGroup\": \"" + group + "\"}";
    }

    private String oversized() {
        int size = pickOf(20_000, 70_000, 1_100_000, 2_500_000);
        String filler = pickOf("x", "\u00e9", "\\\"");
        StringBuilder body = new StringBuilder(size + 64).append("{\"processingGroup\": \"").append(group)
                                                         .append("\", \"filter\": {\"causeType\": \"");
        while (body.length() < size) {
            body.append(filler);
        }
        return body.append("\"}}").toString();
    }

    private byte[] badBytes() {
        return pickOf(new byte[]{'{', '"', 'p', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'},
                      new byte[]{(byte) 0xFF, (byte) 0xFE, 0, '{', 0, '}'},
                      new byte[]{0, 0, 0, 0},
                      ("{\"processingGroup\": \"" + group + "\u0000\"}").getBytes(StandardCharsets.UTF_8),
                      new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{'},
                      new byte[]{'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'});
    }

    private String tooLong(int length) {
        return "k".repeat(length);
    }

    private String nul() {
        return pickOf("%00", "a%00b", "%00%00");
    }

    private String badAccept() {
        return pickOf("application/xml", "text/html", "application/x-ndjson;q=abc", "/", "image/png", ";;;");
    }

    private String wrongMethod(String right) {
        List<String> methods = new ArrayList<>(List.of("PUT", "PATCH", "DELETE", "POST", "GET", "HEAD", "FOO"));
        methods.remove(right);
        if (writes(right + " x")) {
            methods.remove("GET");
            methods.remove("HEAD");
        }
        return pickOf(methods);
    }

    private static String b64(String plain) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    private static String groupPath(String group) {
        return "/processing-groups/" + group;
    }

    // --- requests -------------------------------------------------------------------------------------------------

    private Request get(String endpoint, String path, String why, String... headers) {
        return req(endpoint, "GET", path, null, why, headers);
    }

    private Request post(String endpoint, String path, String body, String why, String... headers) {
        return req(endpoint, "POST", path, body, why, headers);
    }

    private Request delete(String endpoint, String path, String why) {
        return req(endpoint, "DELETE", path, null, why);
    }

    private Request req(String endpoint, String method, String path, String body, String why, String... headers) {
        return reqBytes(endpoint, method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), why,
                        headers);
    }

    /** Every write carries the API's request header (as a script would), so that it is judged on its defect. */
    private Request reqBytes(String endpoint, String method, String path, byte[] body, String why,
                             String... headers) {
        List<String> all = new ArrayList<>(List.of(headers));
        if (!method.equals("GET") && !method.equals("HEAD")) {
            all.add(CrossSiteRequestGuard.HEADER);
            all.add("1");
        }
        return new Request(endpoint, method, BASE + path, all, body, why);
    }

    /**
     * A write with an existing target whose only defect is its shape: what a cross-site form or a no-cors fetch can
     * send (no request header; no content type, or one a form or no-cors fetch may set).
     */
    private Request crossSite(String endpoint, String method, String path) {
        String type = pickOf("", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                             "text/plain;charset=UTF-8");
        String text = type.startsWith("multipart/") ? pickOf("x=1", TRUNCATED_MULTIPART) : "x=1";
        byte[] body = type.isEmpty() ? null : text.getBytes(StandardCharsets.UTF_8);
        return new Request(endpoint, method, BASE + path, type.isEmpty() ? List.of() : List.of("Content-Type", type),
                           body, "cross-site");
    }

    /** A valid JSON body sent as a no-cors fetch or a form would: declared as text or form, no request header. */
    private Request crossSiteBody(String endpoint, String path, String json) {
        String type = pickOf("text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded");
        return new Request(endpoint, "POST", BASE + path, List.of("Content-Type", type),
                           json.getBytes(StandardCharsets.UTF_8), "cross-site body");
    }

    @SafeVarargs
    private <T> T pick(Supplier<T>... choices) {
        return choices[random.nextInt(choices.length)].get();
    }

    @SafeVarargs
    private <T> T pickOf(T... values) {
        return values[random.nextInt(values.length)];
    }

    private <T> T pickOf(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
