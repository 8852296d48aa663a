package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.ApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.ServletRequestPathUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Answers every request under the base path that no endpoint takes: 405 (with {@code Allow}) when the path exists
 * for other methods, 406 when an endpoint takes the path and method but produces no media type the request accepts,
 * 404 otherwise, all as problem+json, so that clients get one error format from the whole API.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class DeadLetterFallbackController implements DeadLetterRestEndpoint {

    private final ApplicationContext context;

    public DeadLetterFallbackController(ApplicationContext context) {
        this.context = context;
    }

    @RequestMapping({"", "/**"})
    public void unmatched(HttpServletRequest request, HttpServletResponse response)
            throws HttpMediaTypeNotAcceptableException {
        refuseUnacceptable(request);
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

    /**
     * OPTIONS under the base path. Without a mapping that names it, Spring MVC answers OPTIONS itself, outside the
     * API's authorization (OPTIONS is a read: it needs the read authority) and, where only the catch-all above
     * matches, with 200 and every method in {@code Allow}: here it gets the endpoints' methods, or 404.
     */
    @RequestMapping(value = {"", "/**"}, method = RequestMethod.OPTIONS)
    public void options(HttpServletRequest request, HttpServletResponse response)
            throws HttpMediaTypeNotAcceptableException {
        unmatched(request, response);
    }

    /**
     * An endpoint that takes this path and method but produces nothing the request accepts (e.g.
     * {@code GET /openapi.json}, JSON only, asked for YAML): Spring MVC hands such a request here, and a 405 would name
     * the very method the client used as the allowed one.
     */
    private void refuseUnacceptable(HttpServletRequest request) throws HttpMediaTypeNotAcceptableException {
        for (RequestMappingInfo info : endpointsAt(request)) {
            if (takesMethod(info, request.getMethod())
                    && info.getProducesCondition().getMatchingCondition(request) == null) {
                throw new HttpMediaTypeNotAcceptableException(
                        List.copyOf(info.getProducesCondition().getProducibleMediaTypes()));
            }
        }
    }

    private static boolean takesMethod(RequestMappingInfo info, String method) {
        Set<RequestMethod> methods = info.getMethodsCondition().getMethods();
        return methods.isEmpty() || methods.stream().anyMatch(
                m -> m.name().equals(method) || ("HEAD".equals(method) && m == RequestMethod.GET));
    }

    private Set<String> allowedMethods(HttpServletRequest request) {
        Set<String> allowed = new TreeSet<>();
        for (RequestMappingInfo info : endpointsAt(request)) {
            info.getMethodsCondition().getMethods().forEach(m -> allowed.add(m.name()));
            if (allowed.contains("GET")) {
                allowed.add("HEAD");
            }
        }
        return allowed;
    }

    /**
     * The mappings of the API's other endpoints whose path pattern matches the request's path, with the host's path
     * matching strategy: path patterns (the default) or {@code AntPathMatcher}
     * ({@code spring.mvc.pathmatch.matching-strategy=ant_path_matcher}), under which a mapping has no path patterns.
     */
    private List<RequestMappingInfo> endpointsAt(HttpServletRequest request) {
        List<RequestMappingInfo> matching = new ArrayList<>();
        for (RequestMappingHandlerMapping mapping : context.getBeansOfType(RequestMappingHandlerMapping.class)
                                                           .values()) {
            for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
                Class<?> type = entry.getValue().getBeanType();
                if (!DeadLetterRestEndpoint.class.isAssignableFrom(type)
                        || DeadLetterFallbackController.class.isAssignableFrom(type)) {
                    continue;
                }
                RequestMappingInfo info = entry.getKey();
                if (info.getPathPatternsCondition() != null && !ServletRequestPathUtils.hasParsedRequestPath(request)) {
                    ServletRequestPathUtils.parseAndCache(request);
                }
                // The lookup path either condition reads was set when this request was mapped (to this controller).
                if (info.getActivePatternsCondition().getMatchingCondition(request) != null) {
                    matching.add(info);
                }
            }
        }
        return matching;
    }
}
