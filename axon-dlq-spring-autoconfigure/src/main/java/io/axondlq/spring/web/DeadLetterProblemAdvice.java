package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.operations.RedeliveryUnavailableException;
import io.axondlq.core.operations.UnknownLetterException;
import io.axondlq.core.operations.UnknownSequenceException;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.jobs.RetryJobs;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.multipart.MaxUploadSizeExceededException;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Renders every error of the axon-dlq controllers, and only of them, as {@code application/problem+json} (RFC 9457)
 * with a stable {@code type} and {@code title}: the API's own refusals, store errors (bad cursor, claimed sequence),
 * and Spring MVC's own errors on these endpoints (type mismatch, unreadable body, missing header, media types).
 * A claimed sequence's 409 carries {@code Retry-After}; headers a refusal names itself (e.g. {@code WWW-Authenticate}
 * on a 401) are sent with it.
 * Anything unexpected is a 500 problem without internals; it is logged.
 */
@RestControllerAdvice(assignableTypes = DeadLetterRestEndpoint.class)
@Order(Ordered.HIGHEST_PRECEDENCE)
public class DeadLetterProblemAdvice {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetterProblemAdvice.class);

    private final Duration claimLease;
    private final Clock clock;

    /** With the default redelivery lease (30s) as the longest {@code Retry-After}. */
    public DeadLetterProblemAdvice() {
        this(Duration.ofSeconds(30), Clock.systemUTC());
    }

    /** @param claimLease {@code axon.dlq.claim.lease}: the longest wait a claimed sequence is announced with */
    public DeadLetterProblemAdvice(Duration claimLease, Clock clock) {
        this.claimLease = claimLease == null || claimLease.isNegative() || claimLease.isZero()
                ? Duration.ofSeconds(30) : claimLease;
        this.clock = clock;
    }

    @ExceptionHandler(Exception.class)
    public ResponseEntity<JsonNode> handle(Exception exception, HttpServletRequest request) {
        DeadLetterApiException problem = translate(exception);
        if (exception instanceof SequenceClaimedException claimed) {
            problem.header(HttpHeaders.RETRY_AFTER,
                           Long.toString(retryAfterSeconds(claimed.claimUntil(), clock.instant(), claimLease)));
        }
        ProblemType type = problem.problem();
        if (type.status().is5xxServerError()) {
            logger.error("axon-dlq REST API: {} {} failed", request.getMethod(), request.getRequestURI(), exception);
        } else {
            logger.debug("axon-dlq REST API: {} {} refused: {}", request.getMethod(), request.getRequestURI(),
                         problem.getMessage());
        }
        HttpHeaders headers = new HttpHeaders();
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        headers.setCacheControl("no-store");
        Object allow = problem.properties().get("allow");
        if (allow != null) {
            headers.set(HttpHeaders.ALLOW, allow.toString());
        }
        problem.headers().forEach(headers::set);
        return new ResponseEntity<>(body(problem, request), headers, type.status());
    }

    /**
     * Seconds until the claim ends: {@code claimUntil} is the holder's lease end by the database's clock, compared here
     * with this node's clock, so the answer is kept between 1 and the configured lease (the lease is renewed while the
     * holder works, so this is when to look again, not a promise). Without a known end: the lease.
     */
    static long retryAfterSeconds(Instant claimUntil, Instant now, Duration lease) {
        long max = Math.max(1, (lease.toMillis() + 999) / 1000);
        if (claimUntil == null) {
            return max;
        }
        long millis = Duration.between(now, claimUntil).toMillis();
        return Math.max(1, Math.min(max, (millis + 999) / 1000));
    }

    static ObjectNode body(DeadLetterApiException problem, HttpServletRequest request) {
        ProblemType type = problem.problem();
        ObjectNode body = ApiJson.object();
        body.put("type", type.type());
        body.put("title", type.title());
        body.put("status", type.status().value());
        body.put("detail", problem.getMessage());
        body.put("instance", request.getRequestURI());
        for (Map.Entry<String, Object> property : problem.properties().entrySet()) {
            body.set(property.getKey(), ApiJson.tree(property.getValue()));
        }
        return body;
    }

    static DeadLetterApiException translate(Exception exception) {
        if (exception instanceof DeadLetterApiException api) {
            return api;
        }
        if (exception instanceof InvalidCursorException e) {
            return new DeadLetterApiException(ProblemType.INVALID_CURSOR, e.getMessage()).with("parameter", "cursor");
        }
        if (exception instanceof SequenceClaimedException e) {
            return new DeadLetterApiException(ProblemType.SEQUENCE_CLAIMED, e.getMessage())
                    .with("claimedBy", e.claimedBy())
                    .with("claimUntil", ApiJson.instant(e.claimUntil()));
        }
        if (exception instanceof UnknownLetterException e) {
            return DeadLetterQueryController.unknownLetter(e.letterId());
        }
        if (exception instanceof UnknownSequenceException e) {
            return new DeadLetterApiException(ProblemType.UNKNOWN_SEQUENCE,
                                              "Processing group [" + e.processingGroup() + "] has no dead-lettered "
                                                      + "sequence [" + RequestParameters.shorten(e.sequenceKey()) + "]")
                    .with("processingGroup", e.processingGroup())
                    .with("sequenceKey", e.sequenceKey());
        }
        if (exception instanceof RedeliveryUnavailableException e) {
            return new DeadLetterApiException(ProblemType.REDELIVERY_UNAVAILABLE, e.getMessage());
        }
        if (exception instanceof UnknownProcessingGroupException e) {
            return new DeadLetterApiException(ProblemType.PROCESSING_GROUP_NOT_RUNNING, e.getMessage());
        }
        if (exception instanceof RetryJobs.IdempotencyConflictException e) {
            return new DeadLetterApiException(ProblemType.IDEMPOTENCY_CONFLICT, e.getMessage());
        }
        if (exception instanceof RetryJobs.JobAlreadyRunningException e) {
            return new DeadLetterApiException(ProblemType.RETRY_JOB_RUNNING, e.getMessage())
                    .with("runningJob", e.runningJob() == null ? null : e.runningJob().toString());
        }
        if (exception instanceof TypeMismatchException e) {
            String name = e.getPropertyName();
            return new DeadLetterApiException(ProblemType.INVALID_PARAMETER,
                                              "Parameter [" + name + "] has an invalid value")
                    .with("parameter", name);
        }
        if (exception instanceof HttpMessageNotReadableException) {
            return DeadLetterApiException.badBody("The request body is missing or is not valid JSON");
        }
        if (exception instanceof MissingRequestHeaderException e) {
            return new DeadLetterApiException(ProblemType.BAD_REQUEST,
                                              "Required header [" + e.getHeaderName() + "] is missing")
                    .with("header", e.getHeaderName());
        }
        if (exception instanceof ServletRequestBindingException e) {
            return new DeadLetterApiException(ProblemType.BAD_REQUEST, detail(e.getBody().getDetail(), e));
        }
        if (exception instanceof HttpMediaTypeNotSupportedException e) {
            return new DeadLetterApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                                              "Content type [" + e.getContentType() + "] is not supported; use "
                                                      + MediaType.APPLICATION_JSON_VALUE);
        }
        if (exception instanceof HttpMediaTypeNotAcceptableException) {
            return new DeadLetterApiException(ProblemType.NOT_ACCEPTABLE,
                                              "This endpoint answers with application/json (export: also "
                                                      + "application/x-ndjson)");
        }
        if (exception instanceof HttpRequestMethodNotSupportedException e) {
            return new DeadLetterApiException(ProblemType.METHOD_NOT_ALLOWED, e.getMessage())
                    .with("allow", String.join(", ", e.getSupportedMethods() == null ? new String[0]
                            : e.getSupportedMethods()));
        }
        if (exception instanceof MaxUploadSizeExceededException) {
            return new DeadLetterApiException(ProblemType.PAYLOAD_TOO_LARGE, "The request is too large");
        }
        if (exception instanceof ErrorResponse e && e.getStatusCode().is4xxClientError()) {
            return new DeadLetterApiException(clientProblem(e.getStatusCode()), detail(e.getBody().getDetail(), exception));
        }
        return new DeadLetterApiException(ProblemType.INTERNAL_ERROR,
                                          "The request could not be completed; see the server log");
    }

    private static String detail(String detail, Exception exception) {
        if (detail != null && !detail.isBlank()) {
            return detail;
        }
        return exception.getMessage() != null ? exception.getMessage() : exception.getClass().getSimpleName();
    }

    private static ProblemType clientProblem(HttpStatusCode status) {
        return switch (status.value()) {
            case 404 -> ProblemType.UNKNOWN_ENDPOINT;
            case 405 -> ProblemType.METHOD_NOT_ALLOWED;
            case 406 -> ProblemType.NOT_ACCEPTABLE;
            case 413 -> ProblemType.PAYLOAD_TOO_LARGE;
            case 415 -> ProblemType.UNSUPPORTED_MEDIA_TYPE;
            default -> ProblemType.BAD_REQUEST;
        };
    }
}
