package io.axondlq.spring.web;

import java.util.LinkedHashMap;
import java.util.Map;

/** A request the REST API refuses; rendered as {@code application/problem+json} by {@link DeadLetterProblemAdvice}. */
public class DeadLetterApiException extends RuntimeException {

    private final ProblemType problem;
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private final Map<String, String> headers = new LinkedHashMap<>();

    public DeadLetterApiException(ProblemType problem, String detail) {
        super(detail);
        this.problem = problem;
    }

    public ProblemType problem() {
        return problem;
    }

    /** Extra members of the problem document (e.g. {@code claimedBy}, {@code parameter}). */
    public Map<String, Object> properties() {
        return properties;
    }

    public DeadLetterApiException with(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    /** Response headers that go with the problem (e.g. {@code WWW-Authenticate}, {@code Retry-After}). */
    public Map<String, String> headers() {
        return headers;
    }

    public DeadLetterApiException header(String name, String value) {
        headers.put(name, value);
        return this;
    }

    static DeadLetterApiException badParameter(String parameter, String detail) {
        return new DeadLetterApiException(ProblemType.INVALID_PARAMETER, detail).with("parameter", parameter);
    }

    static DeadLetterApiException badPath(String parameter, String detail) {
        return new DeadLetterApiException(ProblemType.INVALID_PATH, detail).with("parameter", parameter);
    }

    static DeadLetterApiException badBody(String detail) {
        return new DeadLetterApiException(ProblemType.INVALID_BODY, detail);
    }
}
