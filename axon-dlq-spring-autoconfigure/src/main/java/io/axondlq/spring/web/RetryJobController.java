package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.Page;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Bulk retry jobs, delegated to {@link RetryJobs}:
 * <pre>
 * POST /retry-jobs              {"processingGroup": "...", "filter": {"causeType", "payloadType", "from", "to"},
 *                                "batchSize": 10, "cooldown": "PT1S", "maxSequences": 1000}
 *                               header Idempotency-Key (optional) → 202 + job (200 + the same job on a replay)
 * GET  /retry-jobs?limit&cursor newest first
 * GET  /retry-jobs/{id}?limit&cursor  state, totals, one page of per-sequence outcomes (nextCursor)
 * POST /retry-jobs/{id}/stop
 * </pre>
 * The body is read strictly (unknown members, wrong types, duplicate keys → 400). Creation and stop requests are
 * audited by the {@link RetryJobs} implementation itself.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class RetryJobController implements DeadLetterRestEndpoint {

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final int DEFAULT_BATCH_SIZE = 10;
    static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(1);
    static final int DEFAULT_MAX_SEQUENCES = 10_000;
    static final int MAX_BODY_LENGTH = 16 * 1024;
    private static final Set<String> MEMBERS = Set.of("processingGroup", "filter", "batchSize", "cooldown",
                                                      "maxSequences");
    private static final Set<String> FILTER_MEMBERS = Set.of("causeType", "payloadType", "from", "to");
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");

    private final ObjectProvider<RetryJobs> retryJobs;
    private final KnownProcessingGroups groups;
    private final OperatorAudit audit;
    private final AxonDlqProperties properties;

    public RetryJobController(ObjectProvider<RetryJobs> retryJobs, KnownProcessingGroups groups, OperatorAudit audit,
                              AxonDlqProperties properties) {
        this.retryJobs = retryJobs;
        this.groups = groups;
        this.audit = audit;
        this.properties = properties;
    }

    @PostMapping("/retry-jobs")
    public ResponseEntity<JsonNode> create(@RequestHeader(name = IDEMPOTENCY_KEY, required = false) String key,
                                           @RequestHeader(name = HttpHeaders.CONTENT_TYPE, required = false)
                                           String contentType,
                                           @RequestParam MultiValueMap<String, String> params,
                                           HttpServletRequest request) {
        RequestParameters.of(params);
        checkContentType(contentType);
        String idempotencyKey = idempotencyKey(key);
        JsonNode json = parse(readBody(request));
        RetryJobRequest jobRequest = jobRequest(json);
        groups.require(jobRequest.processingGroup());
        RetryJobs jobs = jobs();

        // The job store audits the creation (or its rejection) itself.
        RetryJobs.Created created = jobs.create(jobRequest, idempotencyKey, audit.actor(request));
        RetryJob job = created.job();
        URI location = URI.create(request.getRequestURI() + "/" + job.id());
        return ResponseEntity.status(created.created() ? HttpStatus.ACCEPTED : HttpStatus.OK)
                             .location(location)
                             .body(detail(jobs, job, RequestParameters.DEFAULT_LIMIT, null));
    }

    @GetMapping("/retry-jobs")
    public JsonNode list(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        Page<RetryJob> page = jobs().list(limit, cursor);
        return ApiJson.page(page, RetryJobViews::summary);
    }

    @GetMapping("/retry-jobs/{id}")
    public JsonNode get(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        UUID jobId = RequestParameters.uuid("id", id);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        RetryJobs jobs = jobs();
        return detail(jobs, jobs.summary(jobId).orElseThrow(() -> unknownJob(jobId)), limit, request.cursor());
    }

    @PostMapping("/retry-jobs/{id}/stop")
    public JsonNode stop(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params,
                         HttpServletRequest request) {
        RequestParameters.of(params);
        UUID jobId = RequestParameters.uuid("id", id);
        // The job store audits the stop request itself, with the actor.
        RetryJobs jobs = jobs();
        RetryJob job = jobs.stop(jobId, audit.actor(request)).orElseThrow(() -> unknownJob(jobId));
        return detail(jobs, job, RequestParameters.DEFAULT_LIMIT, null);
    }

    /** The job and one page of its per-sequence outcomes: a request never reads a whole large job. */
    private static JsonNode detail(RetryJobs jobs, RetryJob job, int limit, String cursor) {
        return RetryJobViews.detail(job.withoutSequences(), jobs.outcomes(job.id(), limit, cursor));
    }

    // --- request reading --------------------------------------------------------------------------------------------

    private RetryJobs jobs() {
        RetryJobs jobs = retryJobs.getIfAvailable();
        if (jobs == null) {
            throw new DeadLetterApiException(ProblemType.RETRY_JOBS_UNAVAILABLE,
                                             "Retry jobs are not configured in this application");
        }
        return jobs;
    }

    private static DeadLetterApiException unknownJob(UUID id) {
        return new DeadLetterApiException(ProblemType.UNKNOWN_RETRY_JOB, "Retry job [" + id + "] does not exist")
                .with("jobId", id.toString());
    }

    /**
     * Reads at most one byte more than allowed, so an oversized body costs no memory; read here rather than by a
     * message converter so that media types the converters choke on (wildcards) still get our 415.
     */
    private static byte[] readBody(HttpServletRequest request) {
        try (java.io.InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes(MAX_BODY_LENGTH + 1);
            return body.length == 0 ? null : body;
        } catch (IOException e) {
            throw DeadLetterApiException.badBody("The request body cannot be read: " + firstLine(e.getMessage()));
        }
    }

    private static void checkContentType(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return;
        }
        MediaType type;
        try {
            type = MediaType.parseMediaType(contentType);
        } catch (InvalidMediaTypeException e) {
            throw new DeadLetterApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                                             "Content-Type cannot be parsed; use application/json");
        }
        if (!type.isCompatibleWith(MediaType.APPLICATION_JSON) || type.isWildcardType()
                || type.isWildcardSubtype()) {
            throw new DeadLetterApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                                             "Content type [" + type + "] is not supported; use application/json");
        }
    }

    private static String idempotencyKey(String key) {
        if (key == null) {
            return null;
        }
        if (!KEY.matcher(key).matches()) {
            throw new DeadLetterApiException(ProblemType.BAD_REQUEST,
                                             IDEMPOTENCY_KEY + " must be 1 to 255 visible ASCII characters")
                    .with("header", IDEMPOTENCY_KEY);
        }
        return key;
    }

    private static JsonNode parse(byte[] body) {
        if (body == null || body.length == 0 || new String(body, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
            throw DeadLetterApiException.badBody("A JSON object is required: {\"processingGroup\": \"...\", "
                                                         + "\"filter\": {...}, \"batchSize\": 10, "
                                                         + "\"cooldown\": \"PT1S\", \"maxSequences\": 1000}");
        }
        if (body.length > MAX_BODY_LENGTH) {
            throw new DeadLetterApiException(ProblemType.PAYLOAD_TOO_LARGE,
                                             "The request body is longer than " + MAX_BODY_LENGTH + " bytes");
        }
        JsonNode json;
        try {
            json = ApiJson.parse(body);
        } catch (IOException e) {
            throw DeadLetterApiException.badBody("The request body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (json == null || !json.isObject()) {
            throw DeadLetterApiException.badBody("The request body must be a JSON object");
        }
        return json;
    }

    static RetryJobRequest jobRequest(JsonNode json) {
        unknownMembers(json, MEMBERS, "");
        JsonNode groupNode = json.get("processingGroup");
        if (groupNode == null || groupNode.isNull()) {
            throw member("processingGroup", "is required");
        }
        if (!groupNode.isTextual() || groupNode.asText().isBlank()) {
            throw member("processingGroup", "must be a non-empty string");
        }
        String group = text(json, "processingGroup", RequestParameters.MAX_NAME_LENGTH, "");
        String causeType = null;
        String payloadType = null;
        Instant from = null;
        Instant to = null;
        JsonNode filter = json.get("filter");
        if (filter != null && !filter.isNull()) {
            if (!filter.isObject()) {
                throw member("filter", "must be an object with causeType, payloadType, from, to");
            }
            unknownMembers(filter, FILTER_MEMBERS, "filter.");
            causeType = text(filter, "causeType", RequestParameters.MAX_TYPE_LENGTH, "filter.");
            payloadType = text(filter, "payloadType", RequestParameters.MAX_TYPE_LENGTH, "filter.");
            from = instant(filter, "from");
            to = instant(filter, "to");
            if (from != null && to != null && !from.isBefore(to)) {
                throw member("filter.from", "must be before filter.to");
            }
        }
        int batchSize = integer(json, "batchSize", DEFAULT_BATCH_SIZE, 1, RetryJobRequest.MAX_BATCH_SIZE);
        int maxSequences = integer(json, "maxSequences", DEFAULT_MAX_SEQUENCES, 1, RetryJobRequest.MAX_SEQUENCES);
        Duration cooldown = duration(json, "cooldown");
        try {
            return new RetryJobRequest(group, causeType, payloadType, from, to, batchSize, cooldown, maxSequences);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw DeadLetterApiException.badBody(e.getMessage());
        }
    }

    private static void unknownMembers(JsonNode node, Set<String> known, String prefix) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw DeadLetterApiException.badBody("Unknown member [" + prefix + RequestParameters.shorten(name)
                                                             + "]; known: " + known)
                                            .with("member", prefix + RequestParameters.shorten(name));
            }
        }
    }

    private static String text(JsonNode node, String name, int maxLength, String prefix) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw member(prefix + name, "must be a string");
        }
        String text = value.asText();
        if (text.isEmpty()) {
            return null;
        }
        if (text.length() > maxLength) {
            throw member(prefix + name, "is longer than " + maxLength + " characters");
        }
        if (text.indexOf('\0') >= 0) {
            throw member(prefix + name, "must not contain NUL characters");
        }
        return text;
    }

    private static Instant instant(JsonNode filter, String name) {
        String text = text(filter, name, 64, "filter.");
        if (text == null) {
            return null;
        }
        Instant instant = RequestParameters.parseInstant(text.trim());
        if (instant == null) {
            throw member("filter." + name, "must be an ISO-8601 instant " + RequestParameters.INSTANT_RANGE
                    + " such as 2024-05-01T10:00:00Z");
        }
        return instant;
    }

    private static int integer(JsonNode json, String name, int defaultValue, int min, int max) {
        JsonNode value = json.get(name);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw member(name, "must be a whole number between " + min + " and " + max);
        }
        int number = value.intValue();
        if (number < min || number > max) {
            throw member(name, "must be between " + min + " and " + max + ", was " + number);
        }
        return number;
    }

    private static Duration duration(JsonNode json, String name) {
        JsonNode value = json.get(name);
        if (value == null || value.isNull()) {
            return DEFAULT_COOLDOWN;
        }
        if (!value.isTextual()) {
            throw member(name, "must be a duration string such as \"PT2S\" or \"500ms\"");
        }
        try {
            return DurationStyle.detectAndParse(value.asText().trim());
        } catch (RuntimeException e) {
            throw member(name, "must be a duration such as \"PT2S\" or \"500ms\", was ["
                    + RequestParameters.shorten(value.asText()) + "]");
        }
    }

    private static DeadLetterApiException member(String name, String problem) {
        return DeadLetterApiException.badBody("[" + name + "] " + problem).with("member", name);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        int newline = message.indexOf('\n');
        String line = newline < 0 ? message : message.substring(0, newline);
        return line.length() > 200 ? line.substring(0, 200) : line;
    }
}
