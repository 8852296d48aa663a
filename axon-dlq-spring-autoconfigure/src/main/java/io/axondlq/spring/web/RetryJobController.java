package io.axondlq.spring.web;

import io.axondlq.core.store.Page;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.validation.Valid;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.HttpStatus;
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

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.UUID;
import java.util.function.BooleanSupplier;
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
 * The body is a {@link RetryJobBody}, read strictly (unknown members, wrong types, duplicate keys → 400) and
 * validated. Creation and stop requests are audited by the {@link RetryJobs} implementation itself.
 */
@RestController
// JSON only: a client that accepts no application/json (another +json flavour included) is refused with 406 by
// DeadLetterFallbackController, instead of getting the records from the host's converters or labelled as a problem.
@RequestMapping(value = "${axon.dlq.rest.base-path:/dead-letters}", produces = MediaType.APPLICATION_JSON_VALUE)
public class RetryJobController implements DeadLetterRestEndpoint {

    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final int DEFAULT_BATCH_SIZE = 10;
    static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(1);
    static final int DEFAULT_MAX_SEQUENCES = 10_000;
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");

    private final ObjectProvider<RetryJobs> retryJobs;
    private final KnownProcessingGroups groups;
    private final OperatorAudit audit;
    private final AxonDlqProperties properties;
    private final PayloadPolicy policy;
    /** Whether this application runs the jobs it creates: one created where none runs would wait forever. */
    private final BooleanSupplier jobsRun;

    /** Outcomes' failure messages in full for every caller. */
    public RetryJobController(ObjectProvider<RetryJobs> retryJobs, KnownProcessingGroups groups, OperatorAudit audit,
                              AxonDlqProperties properties) {
        this(retryJobs, groups, audit, properties, PayloadPolicy.full());
    }

    /** The outcomes' failure messages follow {@code policy}, as a letter's cause message does. */
    public RetryJobController(ObjectProvider<RetryJobs> retryJobs, KnownProcessingGroups groups, OperatorAudit audit,
                              AxonDlqProperties properties, PayloadPolicy policy) {
        this(retryJobs, groups, audit, properties, policy, () -> true);
    }

    /**
     * Creation is refused (503) while {@code jobsRun} is false: the application has no runner, so a new job would stay
     * pending. Listing, reading and stopping jobs stay available.
     */
    public RetryJobController(ObjectProvider<RetryJobs> retryJobs, KnownProcessingGroups groups, OperatorAudit audit,
                              AxonDlqProperties properties, PayloadPolicy policy, BooleanSupplier jobsRun) {
        this.jobsRun = Objects.requireNonNull(jobsRun, "jobsRun");
        this.retryJobs = retryJobs;
        this.groups = groups;
        this.audit = audit;
        this.properties = properties;
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    @PostMapping("/retry-jobs")
    public ResponseEntity<RetryJobDetail> create(@RequestHeader(name = IDEMPOTENCY_KEY, required = false) String key,
                                                 @RequestParam MultiValueMap<String, String> params,
                                                 @Valid @RequestBody RetryJobBody body, HttpServletRequest request) {
        RequestParameters.of(params);
        String idempotencyKey = idempotencyKey(key);
        RetryJobRequest jobRequest = body.toRequest();
        groups.require(jobRequest.processingGroup());
        RetryJobs jobs = jobs();
        if (!jobsRun.getAsBoolean()) {
            throw new DeadLetterApiException(ProblemType.RETRY_JOBS_UNAVAILABLE,
                                             "Retry jobs do not run in this application: it has no "
                                                     + "DeadLetterRedeliverer (its own EventProcessingModule replaces "
                                                     + "axon-dlq's), so a new job would never start");
        }

        // The job store audits the creation (or its rejection) itself.
        RetryJobs.Created created = jobs.create(jobRequest, idempotencyKey, audit.actor(request));
        RetryJob job = created.job();
        URI location = URI.create(request.getRequestURI() + "/" + job.id());
        return ResponseEntity.status(created.created() ? HttpStatus.ACCEPTED : HttpStatus.OK)
                             .location(location)
                             .body(detail(jobs, job, firstPage(), null, request));
    }

    @GetMapping("/retry-jobs")
    public PageResponse<RetryJobView> list(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        Page<RetryJob> page = jobs().list(limit, cursor);
        return PageResponse.of(page, RetryJobView::of);
    }

    @GetMapping("/retry-jobs/{id}")
    public RetryJobDetail get(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params,
                              HttpServletRequest servletRequest) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        UUID jobId = RequestParameters.uuid("id", id);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        RetryJobs jobs = jobs();
        return detail(jobs, jobs.summary(jobId).orElseThrow(() -> unknownJob(jobId)), limit, request.cursor(),
                      servletRequest);
    }

    @PostMapping("/retry-jobs/{id}/stop")
    public RetryJobDetail stop(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params,
                               HttpServletRequest request) {
        RequestParameters.of(params);
        UUID jobId = RequestParameters.uuid("id", id);
        // The job store audits the stop request itself, with the actor.
        RetryJobs jobs = jobs();
        RetryJob job = jobs.stop(jobId, audit.actor(request)).orElseThrow(() -> unknownJob(jobId));
        return detail(jobs, job, firstPage(), null, request);
    }

    /** The outcomes shown with a created or stopped job: the default page, within axon.dlq.rest.max-page-size. */
    private int firstPage() {
        return RequestParameters.defaultLimit(properties.getRest().getMaxPageSize());
    }

    /** The job and one page of its per-sequence outcomes: a request never reads a whole large job. */
    private RetryJobDetail detail(RetryJobs jobs, RetryJob job, int limit, String cursor, HttpServletRequest request) {
        return RetryJobDetail.of(job.withoutSequences(), jobs.outcomes(job.id(), limit, cursor),
                                 policy.readMode(request));
    }

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

}
