package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An {@code application/problem+json} document (RFC 9457): the standard members and the problem's own extension
 * members ({@code parameter}, {@code member}, {@code claimedBy}, ...) beside them. A class rather than a record: the
 * extension members are flattened into the document.
 */
@JsonPropertyOrder({"type", "title", "status", "detail", "instance"})
public final class ProblemDocument {

    private final ProblemType problem;
    private final String detail;
    private final String instance;
    private final Map<String, Object> properties;

    ProblemDocument(ProblemType problem, String detail, String instance, Map<String, Object> properties) {
        this.problem = problem;
        this.detail = detail;
        this.instance = instance;
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(properties));
    }

    public String getType() {
        return problem.type();
    }

    public String getTitle() {
        return problem.title();
    }

    public int getStatus() {
        return problem.status().value();
    }

    public String getDetail() {
        return detail;
    }

    public String getInstance() {
        return instance;
    }

    @JsonAnyGetter
    public Map<String, Object> getProperties() {
        return properties;
    }
}
