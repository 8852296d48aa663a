package io.axondlq.spring.web;

import io.axondlq.core.store.SequenceClaimedException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Renders every error of the axon-dlq controllers, and only of them, as {@code application/problem+json} (RFC 9457)
 * with a stable {@code type} and {@code title}: the API's own refusals, store errors (bad cursor, claimed sequence),
 * and Spring MVC's own errors on these endpoints (type mismatch, unreadable body, missing header, media types).
 * A claimed sequence's 409 carries {@code Retry-After}; headers a refusal names itself (e.g. {@code WWW-Authenticate}
 * on a 401) are sent with it.
 * Anything unexpected is a 500 problem without internals; it is logged.
 * <p>
 * An error after the response was committed (an export that fails once letters have left) gets no problem document:
 * it would be appended to what was sent (one more well-formed NDJSON record, or text after a JSON array) and the
 * response would end as if complete. The exception is left to the servlet container, which ends the connection
 * without completing the response (Tomcat: no last chunk of a chunked body), so the client sees the transfer fail.
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

    /**
     * @throws Exception {@code exception} itself when the response is already committed: no problem document can be
     *                   sent any more, the servlet container cuts the response off instead
     */
    @ExceptionHandler(Exception.class)
    public ResponseEntity<ProblemDocument> handle(Exception exception, HttpServletRequest request,
                                                  HttpServletResponse response) throws Exception {
        if (response.isCommitted()) {
            // The status line and part of the body are on the wire: a problem document now would be appended to
            // them, as one more well-formed NDJSON record or after a JSON array, and the transfer would end as if
            // complete. The exception goes on to the servlet container instead, which closes the connection
            // without completing the response, so the client sees the transfer cut off.
            logger.debug("axon-dlq REST API: {} {} failed after the response was committed", request.getMethod(),
                         request.getRequestURI());
            throw exception;
        }
        DeadLetterApiException problem = ProblemTranslation.translate(exception);
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

    static ProblemDocument body(DeadLetterApiException problem, HttpServletRequest request) {
        return new ProblemDocument(problem.problem(), problem.getMessage(), request.getRequestURI(),
                                   problem.properties());
    }
}
