package io.axondlq.spring.web.security;

import io.axondlq.spring.web.DeadLetterApiException;
import io.axondlq.spring.web.DeadLetterRestEndpoint;
import io.axondlq.spring.web.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.StringUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

import java.util.Objects;
import java.util.Set;

/**
 * Checks the current Spring Security {@link Authentication} against {@code axon.dlq.security.*} before any axon-dlq
 * endpoint runs: reads (GET, HEAD, OPTIONS) need the read authority or the write authority; everything else needs the
 * write authority. No authentication → 401, missing authority → 403, both as problem+json. An empty (or null)
 * authority disables its check: reads, or writes, are then let through without looking at the caller.
 * <p>
 * Authentication itself is the application's business (a Spring Security filter chain, or anything that fills the
 * {@link SecurityContextHolder}); this interceptor only authorizes.
 */
public class DeadLetterAuthorizationInterceptor implements HandlerInterceptor {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetterAuthorizationInterceptor.class);
    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD");

    private final String readAuthority;
    private final String writeAuthority;

    public DeadLetterAuthorizationInterceptor(String readAuthority, String writeAuthority) {
        this.readAuthority = StringUtils.hasText(readAuthority) ? readAuthority.trim() : null;
        this.writeAuthority = StringUtils.hasText(writeAuthority) ? writeAuthority.trim() : null;
    }

    /** Whether any request is checked at all. */
    public boolean isActive() {
        return readAuthority != null || writeAuthority != null;
    }

    /** The authority reads need, or null when reads are not checked. */
    public String readAuthority() {
        return readAuthority;
    }

    /** The authority writes need, or null when writes are not checked. */
    public String writeAuthority() {
        return writeAuthority;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method)
                || !DeadLetterRestEndpoint.class.isAssignableFrom(method.getBeanType())) {
            return true;
        }
        boolean read = READ_METHODS.contains(request.getMethod()) || "OPTIONS".equals(request.getMethod());
        if (read ? readAuthority == null : writeAuthority == null) {
            return true;
        }
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication == null || !authentication.isAuthenticated()
                || authentication instanceof AnonymousAuthenticationToken) {
            throw new DeadLetterApiException(ProblemType.UNAUTHENTICATED,
                                             "The axon-dlq API needs an authenticated user");
        }
        boolean granted = authentication.getAuthorities().stream()
                                        .map(GrantedAuthority::getAuthority)
                                        .filter(Objects::nonNull)
                                        .anyMatch(a -> read ? a.equals(readAuthority) || a.equals(writeAuthority)
                                                : a.equals(writeAuthority));
        if (!granted) {
            String needed = read ? readAuthority : writeAuthority;
            logger.warn("axon-dlq: [{}] lacks authority [{}] for {} {}", authentication.getName(), needed,
                        request.getMethod(), request.getRequestURI());
            throw new DeadLetterApiException(ProblemType.FORBIDDEN,
                                             (read ? "Reading" : "Changing") + " dead letters needs authority ["
                                                     + needed + "]").with("requiredAuthority", needed);
        }
        return true;
    }
}
