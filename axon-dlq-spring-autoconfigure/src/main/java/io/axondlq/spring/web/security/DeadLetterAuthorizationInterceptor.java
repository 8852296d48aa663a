package io.axondlq.spring.web.security;

import io.axondlq.spring.web.DeadLetterAccess;
import io.axondlq.spring.web.DeadLetterApiException;
import io.axondlq.spring.web.DeadLetterRestEndpoint;
import io.axondlq.spring.web.ProblemType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.security.access.hierarchicalroles.NullRoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authorization.AuthorityAuthorizationManager;
import org.springframework.security.authorization.AuthorizationManager;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.StringUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Checks the current Spring Security {@link Authentication} against {@code axon.dlq.security.*} before any axon-dlq
 * endpoint runs: reads (GET, HEAD, OPTIONS) need the read authority or the write authority; everything else needs the
 * write authority. No authentication → 401 with {@code WWW-Authenticate}, missing authority → 403, both as
 * problem+json. An empty (or null) authority disables its check: reads, or writes, are then let through without
 * looking at the caller.
 * <p>
 * The decision is Spring Security's ({@link AuthorityAuthorizationManager}), so the application's
 * {@link RoleHierarchy} applies: a user whose role implies the configured authority passes. Role convention: a
 * configured value without the {@value #ROLE_PREFIX} prefix ({@code DLQ_ADMIN}) is met by that authority or by the role
 * of that name ({@code ROLE_DLQ_ADMIN}, as {@code User.roles("DLQ_ADMIN")} grants); a configured value with the prefix
 * ({@code ROLE_OPS}) is met by that role only, not by an authority {@code OPS}.
 * <p>
 * Authentication itself is the application's business (a Spring Security filter chain, or anything that fills the
 * {@link SecurityContextHolder}); this interceptor only authorizes.
 */
public class DeadLetterAuthorizationInterceptor implements HandlerInterceptor, DeadLetterAccess {

    /** Spring Security's role prefix ({@code hasRole("X")} means authority {@code ROLE_X}). */
    public static final String ROLE_PREFIX = "ROLE_";
    /** The 401 challenge when none is configured. */
    public static final String DEFAULT_CHALLENGE = "Basic realm=\"axon-dlq\"";

    private static final Logger logger = LoggerFactory.getLogger(DeadLetterAuthorizationInterceptor.class);
    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD", "OPTIONS");

    private final String readAuthority;
    private final String writeAuthority;
    private final String challenge;
    private final AuthorizationManager<HttpServletRequest> reads;
    private final AuthorizationManager<HttpServletRequest> writes;

    public DeadLetterAuthorizationInterceptor(String readAuthority, String writeAuthority) {
        this(readAuthority, writeAuthority, null, DEFAULT_CHALLENGE);
    }

    /**
     * @param roleHierarchy the application's role hierarchy, or null for none
     * @param challenge     the {@code WWW-Authenticate} value of a 401
     */
    public DeadLetterAuthorizationInterceptor(String readAuthority, String writeAuthority, RoleHierarchy roleHierarchy,
                                              String challenge) {
        this.readAuthority = StringUtils.hasText(readAuthority) ? readAuthority.trim() : null;
        this.writeAuthority = StringUtils.hasText(writeAuthority) ? writeAuthority.trim() : null;
        this.challenge = StringUtils.hasText(challenge) ? challenge.trim() : DEFAULT_CHALLENGE;
        RoleHierarchy hierarchy = roleHierarchy == null ? new NullRoleHierarchy() : roleHierarchy;
        // The write authority grants reading too. No manager where there is nothing to check.
        this.reads = this.readAuthority == null ? null : manager(hierarchy, this.readAuthority, this.writeAuthority);
        this.writes = this.writeAuthority == null ? null : manager(hierarchy, this.writeAuthority);
    }

    private static AuthorizationManager<HttpServletRequest> manager(RoleHierarchy hierarchy, String... configured) {
        Set<String> accepted = new LinkedHashSet<>();
        for (String authority : configured) {
            if (authority != null) {
                accepted.addAll(accepted(authority));
            }
        }
        AuthorityAuthorizationManager<HttpServletRequest> manager =
                AuthorityAuthorizationManager.hasAnyAuthority(accepted.toArray(String[]::new));
        manager.setRoleHierarchy(hierarchy);
        return manager;
    }

    /** The authorities that meet a configured value: itself, and the role of that name when it is not one already. */
    static Set<String> accepted(String configured) {
        return configured.startsWith(ROLE_PREFIX) ? Set.of(configured)
                : new LinkedHashSet<>(java.util.List.of(configured, ROLE_PREFIX + configured));
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

    /** The {@code WWW-Authenticate} challenge sent with a 401. */
    @Override
    public String challenge() {
        return challenge;
    }

    /** The same decision {@link #preHandle} takes, without refusing: for the dashboard and {@code GET /me}. */
    @Override
    public Decision decide(HttpServletRequest request, boolean write) {
        if (write ? writeAuthority == null : readAuthority == null) {
            return Decision.GRANTED;
        }
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication == null || !authentication.isAuthenticated()
                || authentication instanceof AnonymousAuthenticationToken) {
            return Decision.UNAUTHENTICATED;
        }
        AuthorizationResult result = (write ? writes : reads).authorize(() -> authentication, request);
        return result != null && result.isGranted() ? Decision.GRANTED : Decision.FORBIDDEN;
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        if (!(handler instanceof HandlerMethod method)
                || !DeadLetterRestEndpoint.class.isAssignableFrom(method.getBeanType())) {
            return true;
        }
        boolean read = READ_METHODS.contains(request.getMethod());
        if (read ? readAuthority == null : writeAuthority == null) {
            return true;
        }
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication == null || !authentication.isAuthenticated()
                || authentication instanceof AnonymousAuthenticationToken) {
            throw new DeadLetterApiException(ProblemType.UNAUTHENTICATED,
                                             "The axon-dlq API needs an authenticated user")
                    .header(HttpHeaders.WWW_AUTHENTICATE, challenge);
        }
        AuthorizationResult result = (read ? reads : writes).authorize(() -> authentication, request);
        if (result == null || !result.isGranted()) {
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
