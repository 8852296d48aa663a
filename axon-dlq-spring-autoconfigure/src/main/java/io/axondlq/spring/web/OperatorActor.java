package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.util.ClassUtils;

import java.security.Principal;

/**
 * Who is acting: the Spring Security principal's name when there is an authenticated one, else the servlet request's
 * principal, else {@value #ANONYMOUS}.
 */
public class OperatorActor {

    public static final String ANONYMOUS = "anonymous";
    private static final boolean SPRING_SECURITY = ClassUtils.isPresent(
            "org.springframework.security.core.context.SecurityContextHolder", OperatorActor.class.getClassLoader());

    public String current(HttpServletRequest request) {
        if (SPRING_SECURITY) {
            String name = SpringSecurityActor.name();
            if (name != null) {
                return name;
            }
        }
        Principal principal = request == null ? null : request.getUserPrincipal();
        if (principal != null && principal.getName() != null && !principal.getName().isBlank()) {
            return principal.getName();
        }
        return ANONYMOUS;
    }

    /** Loaded only when Spring Security is on the classpath. */
    private static final class SpringSecurityActor {

        static String name() {
            org.springframework.security.core.Authentication authentication =
                    org.springframework.security.core.context.SecurityContextHolder.getContext().getAuthentication();
            if (authentication == null || !authentication.isAuthenticated()
                    || authentication instanceof org.springframework.security.authentication.AnonymousAuthenticationToken) {
                return null;
            }
            String name = authentication.getName();
            return name == null || name.isBlank() ? null : name;
        }
    }
}
