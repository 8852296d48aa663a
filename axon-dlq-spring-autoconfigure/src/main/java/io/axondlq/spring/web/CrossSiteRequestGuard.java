package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

import java.util.Set;

/**
 * Refuses a state-changing request (anything but GET, HEAD, OPTIONS, TRACE) to an axon-dlq endpoint unless it is
 * declared {@code Content-Type: application/json} (a charset parameter allowed) or carries the header
 * {@value #HEADER} (any value). A browser sends neither cross-site without a CORS preflight that the host must allow
 * (a form posts {@code application/x-www-form-urlencoded}, {@code multipart/form-data} or {@code text/plain}; a
 * {@code no-cors} fetch cannot set either), so a page on another site cannot make a logged-in operator's browser
 * redeliver, evict, erase or start a retry job with the operator's cookie session.
 * <p>
 * The refusal is 415 {@link ProblemType#CROSS_SITE_REQUEST} (see there why 415) and comes before the controller, so
 * nothing changes. A write declaring a wildcard Content-Type is refused here too (415 unsupported-media-type). The fallback controller (unknown paths, wrong methods) changes nothing and is not guarded, so those
 * requests still get their 404 or 405.
 */
public class CrossSiteRequestGuard implements HandlerInterceptor {

    /** The request header that marks a write as coming from a script or tool that may set custom headers. */
    public static final String HEADER = "X-Axon-DLQ-Request";

    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method)
                || !DeadLetterRestEndpoint.class.isAssignableFrom(method.getBeanType())
                || DeadLetterFallbackController.class.isAssignableFrom(method.getBeanType())
                || SAFE_METHODS.contains(request.getMethod())) {
            return true;
        }
        if (isWildcard(request.getContentType())) {
            // Spring MVC cannot read a body declared so (it fails with a 500): refused here, before the controller.
            throw new DeadLetterApiException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                                             "Content-Type must name one media type, not a wildcard; use "
                                                     + MediaType.APPLICATION_JSON_VALUE);
        }
        if (request.getHeader(HEADER) != null || isJson(request.getContentType())) {
            return true;
        }
        throw new DeadLetterApiException(ProblemType.CROSS_SITE_REQUEST,
                                         request.getMethod() + " requests must be sent as Content-Type: "
                                                 + MediaType.APPLICATION_JSON_VALUE + " or carry the header "
                                                 + HEADER + " (any value); nothing was changed")
                .with("header", HEADER);
    }

    /** A declared Content-Type such as star/star or {@code application/*}, which no body can have. */
    static boolean isWildcard(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return false;
        }
        try {
            MediaType type = MediaType.parseMediaType(contentType);
            return type.isWildcardType() || type.isWildcardSubtype();
        } catch (InvalidMediaTypeException e) {
            return false;
        }
    }

    /** {@code application/json}, with no parameter but an optional charset. */
    static boolean isJson(String contentType) {
        if (contentType == null || contentType.isBlank()) {
            return false;
        }
        MediaType type;
        try {
            type = MediaType.parseMediaType(contentType);
        } catch (InvalidMediaTypeException e) {
            return false;
        }
        return "application".equalsIgnoreCase(type.getType()) && "json".equalsIgnoreCase(type.getSubtype())
                && type.getParameters().keySet().stream().allMatch("charset"::equalsIgnoreCase);
    }
}
