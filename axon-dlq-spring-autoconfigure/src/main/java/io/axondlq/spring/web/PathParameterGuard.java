package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.server.PathContainer;
import org.springframework.http.server.RequestPath;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.util.ServletRequestPathUtils;

/**
 * Refuses a request to an axon-dlq endpoint whose path holds an unencoded {@code ;} with 400
 * {@link ProblemType#INVALID_PATH}, before the endpoint runs, so nothing changes. Spring reads {@code ;...} in a
 * segment as path parameters (matrix variables) and leaves them out of the path variable, so
 * {@code DELETE .../sequences/a;b} would evict sequence {@code a}, another one that may exist. The API takes no path
 * parameters; a {@code ;} that belongs to a key or name travels encoded, as {@code %3B}, which is not one.
 */
public class PathParameterGuard implements HandlerInterceptor {

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method)
                || !DeadLetterRestEndpoint.class.isAssignableFrom(method.getBeanType())) {
            return true;
        }
        // The raw segments: a parameter-less ';' ("a;") is left out of the path variable too, so look for the
        // character itself rather than for parsed parameters.
        for (PathContainer.Element element : path(request).pathWithinApplication().elements()) {
            if (element instanceof PathContainer.PathSegment segment && segment.value().indexOf(';') >= 0) {
                throw DeadLetterApiException.badPath(
                        "path", "Path parameters (';') are not supported: segment ["
                                + RequestParameters.shorten(segment.value()) + "] holds an unencoded ';'; a ';' in a "
                                + "processing group, sequence key or id must be percent-encoded as %3B; nothing was "
                                + "changed");
            }
        }
        return true;
    }

    private static RequestPath path(HttpServletRequest request) {
        return ServletRequestPathUtils.hasParsedRequestPath(request)
                ? ServletRequestPathUtils.getParsedRequestPath(request)
                : RequestPath.parse(request.getRequestURI(), request.getContextPath());
    }
}
