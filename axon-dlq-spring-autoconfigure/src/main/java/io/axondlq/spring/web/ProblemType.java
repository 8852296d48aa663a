package io.axondlq.spring.web;

import org.springframework.http.HttpStatus;

/**
 * Every kind of error the REST API answers with, as {@code application/problem+json}. The {@code type} URI
 * ({@code urn:axon-dlq:problem:<slug>}) and the title are stable: clients may switch on them.
 */
public enum ProblemType {

    INVALID_PARAMETER("invalid-parameter", "Invalid request parameter", HttpStatus.BAD_REQUEST),
    INVALID_CURSOR("invalid-cursor", "Invalid paging cursor", HttpStatus.BAD_REQUEST),
    INVALID_BODY("invalid-request-body", "Invalid request body", HttpStatus.BAD_REQUEST),
    INVALID_PATH("invalid-path", "Invalid path parameter", HttpStatus.BAD_REQUEST),
    CONFIRMATION_REQUIRED("confirmation-required", "Confirmation required", HttpStatus.BAD_REQUEST),
    UNAUTHENTICATED("unauthenticated", "Authentication required", HttpStatus.UNAUTHORIZED),
    FORBIDDEN("forbidden", "Missing authority", HttpStatus.FORBIDDEN),
    UNKNOWN_PROCESSING_GROUP("unknown-processing-group", "Unknown processing group", HttpStatus.NOT_FOUND),
    PROCESSING_GROUP_NOT_RUNNING("processing-group-not-running",
                                 "Processing group does not run with axon-dlq on this node", HttpStatus.NOT_FOUND),
    UNKNOWN_LETTER("unknown-letter", "Unknown dead letter", HttpStatus.NOT_FOUND),
    UNKNOWN_SEQUENCE("unknown-sequence", "Unknown sequence", HttpStatus.NOT_FOUND),
    UNKNOWN_RETRY_JOB("unknown-retry-job", "Unknown retry job", HttpStatus.NOT_FOUND),
    UNKNOWN_ENDPOINT("unknown-endpoint", "No such endpoint", HttpStatus.NOT_FOUND),
    METHOD_NOT_ALLOWED("method-not-allowed", "Method not allowed", HttpStatus.METHOD_NOT_ALLOWED),
    NOT_ACCEPTABLE("not-acceptable", "Response media type not available", HttpStatus.NOT_ACCEPTABLE),
    SEQUENCE_CLAIMED("sequence-claimed", "Sequence is being redelivered elsewhere", HttpStatus.CONFLICT),
    RETRY_JOB_RUNNING("retry-job-running", "A retry job is already running for this group", HttpStatus.CONFLICT),
    IDEMPOTENCY_CONFLICT("idempotency-key-reused", "Idempotency-Key reused for a different request",
                         HttpStatus.UNPROCESSABLE_ENTITY),
    // 415, not 403: the request is refused for how it is declared (a form or text body, or no JSON declaration at
    // all), which the client fixes by declaring JSON or adding the header; 403 stays reserved for a missing authority.
    CROSS_SITE_REQUEST("cross-site-request", "Write request neither JSON nor marked with "
            + CrossSiteRequestGuard.HEADER, HttpStatus.UNSUPPORTED_MEDIA_TYPE),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", "Unsupported request media type",
                           HttpStatus.UNSUPPORTED_MEDIA_TYPE),
    EXPORT_BUSY("export-busy", "Too many exports running", HttpStatus.TOO_MANY_REQUESTS),
    PAYLOAD_TOO_LARGE("payload-too-large", "Request too large", HttpStatus.PAYLOAD_TOO_LARGE),
    REDELIVERY_UNAVAILABLE("redelivery-unavailable", "Redelivery is not available", HttpStatus.SERVICE_UNAVAILABLE),
    RETRY_JOBS_UNAVAILABLE("retry-jobs-unavailable", "Retry jobs are not available", HttpStatus.SERVICE_UNAVAILABLE),
    BAD_REQUEST("bad-request", "Bad request", HttpStatus.BAD_REQUEST),
    INTERNAL_ERROR("internal-error", "Internal error", HttpStatus.INTERNAL_SERVER_ERROR);

    public static final String TYPE_PREFIX = "urn:axon-dlq:problem:";

    private final String slug;
    private final String title;
    private final HttpStatus status;

    ProblemType(String slug, String title, HttpStatus status) {
        this.slug = slug;
        this.title = title;
        this.status = status;
    }

    public String type() {
        return TYPE_PREFIX + slug;
    }

    public String title() {
        return title;
    }

    public HttpStatus status() {
        return status;
    }
}
