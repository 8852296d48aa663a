package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.PathContainer;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;
import org.springframework.web.util.pattern.PathPattern;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Answers every request under the base path that no endpoint takes: 405 (with {@code Allow}) when the path exists
 * for other methods, 404 otherwise, both as problem+json, so that clients get one error format from the whole API.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class DeadLetterFallbackController implements DeadLetterRestEndpoint {

    private final ApplicationContext context;

    public DeadLetterFallbackController(ApplicationContext context) {
        this.context = context;
    }

    @RequestMapping({"", "/**"})
    public void unmatched(HttpServletRequest request, HttpServletResponse response) {
        Set<String> allowed = allowedMethods(request);
        if (allowed.isEmpty()) {
            throw new DeadLetterApiException(ProblemType.UNKNOWN_ENDPOINT,
                                             "No axon-dlq endpoint at [" + RequestParameters.shorten(
                                                     request.getRequestURI()) + "]");
        }
        if ("OPTIONS".equals(request.getMethod())) {
            allowed.add("OPTIONS");
            response.setHeader(HttpHeaders.ALLOW, String.join(", ", allowed));
            response.setStatus(HttpServletResponse.SC_OK);
            return;
        }
        throw new DeadLetterApiException(ProblemType.METHOD_NOT_ALLOWED,
                                         request.getMethod() + " is not supported here; allowed: " + allowed)
                .with("allow", String.join(", ", allowed));
    }

    private Set<String> allowedMethods(HttpServletRequest request) {
        Set<String> allowed = new TreeSet<>();
        PathContainer path = ServletRequestPathUtils.hasParsedRequestPath(request)
                ? ServletRequestPathUtils.getParsedRequestPath(request).pathWithinApplication()
                : ServletRequestPathUtils.parseAndCache(request).pathWithinApplication();
        for (RequestMappingHandlerMapping mapping : context.getBeansOfType(RequestMappingHandlerMapping.class)
                                                           .values()) {
            for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
                Class<?> type = entry.getValue().getBeanType();
                if (!DeadLetterRestEndpoint.class.isAssignableFrom(type)
                        || DeadLetterFallbackController.class.isAssignableFrom(type)
                        || entry.getKey().getPathPatternsCondition() == null) {
                    continue;
                }
                for (PathPattern pattern : entry.getKey().getPathPatternsCondition().getPatterns()) {
                    if (pattern.matches(path)) {
                        entry.getKey().getMethodsCondition().getMethods().forEach(m -> allowed.add(m.name()));
                        if (allowed.contains("GET")) {
                            allowed.add("HEAD");
                        }
                    }
                }
            }
        }
        return allowed;
    }
}
