package io.axondlq.spring.web;

import io.axondlq.core.jobs.InvalidRetryJobRequestException;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.core.operations.InvalidProcessingGroupException;
import io.axondlq.core.operations.RedeliveryUnavailableException;
import io.axondlq.core.operations.UnknownLetterException;
import io.axondlq.core.operations.UnknownSequenceException;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.InvalidCursorException;
import io.axondlq.core.store.SequenceClaimedException;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;

/**
 * Which problem an exception is: the API's own refusals as they are, the operations layer's and the store's errors,
 * and Spring MVC's own errors on these endpoints (type mismatch, unreadable or invalid body, missing header, media
 * types, {@link BodyProblems}). Anything else is a 500 without internals.
 */
final class ProblemTranslation {

    private ProblemTranslation() {
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
                    .with("claimUntil", e.claimUntil());
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
        if (exception instanceof InvalidProcessingGroupException e) {
            // The endpoints check group names themselves (RequestParameters.groupName); this is the operations
            // service's own refusal of the same names, for a caller that reaches it with one unchecked. The detail
            // quotes no name: it may hold NUL or run to any length.
            return DeadLetterApiException.badParameter("processingGroup", e.getMessage());
        }
        if (exception instanceof RedeliveryUnavailableException e) {
            return new DeadLetterApiException(ProblemType.REDELIVERY_UNAVAILABLE, e.getMessage());
        }
        if (exception instanceof UnknownProcessingGroupException e) {
            return new DeadLetterApiException(ProblemType.PROCESSING_GROUP_NOT_RUNNING, e.getMessage());
        }
        if (exception instanceof InvalidRetryJobRequestException e) {
            // The core's own checks of a new job's request (RetryJobs.create): the body's member, as Bean
            // Validation would name it, also in an application without a validation provider.
            return RetryJobBody.refused(e);
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
        if (exception instanceof HttpMessageNotReadableException e) {
            return BodyProblems.unreadable(e);
        }
        if (exception instanceof MethodArgumentNotValidException e) {
            return BodyProblems.invalid(e.getFieldErrors());
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
            // Without a content type Spring MVC could not parse the header (e.g. "garbage", an unknown charset).
            return new DeadLetterApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                                              (e.getContentType() == null
                                                      ? "The Content-Type header cannot be parsed"
                                                      : "Content type [" + e.getContentType() + "] is not supported")
                                                      + "; use " + MediaType.APPLICATION_JSON_VALUE);
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
            return new DeadLetterApiException(clientProblem(e.getStatusCode()),
                                              detail(e.getBody().getDetail(), exception));
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
