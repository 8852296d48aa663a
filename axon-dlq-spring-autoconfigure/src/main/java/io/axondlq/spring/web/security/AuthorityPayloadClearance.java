package io.axondlq.spring.web.security;

import io.axondlq.spring.web.PayloadClearance;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.security.access.hierarchicalroles.NullRoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authorization.AuthorityAuthorizationManager;
import org.springframework.security.authorization.AuthorizationResult;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.StringUtils;

/**
 * {@code axon.dlq.security.payload-authority}: whether the authenticated caller may see letters in full although the
 * payload mode masks them. Decided by Spring Security's {@link AuthorityAuthorizationManager} with the same role
 * conventions as the read and write authorities ({@link DeadLetterAuthorizationInterceptor}): a value without the
 * {@code ROLE_} prefix is also met by the role of that name, and the application's {@link RoleHierarchy} applies. An
 * empty authority exempts nobody, an anonymous caller is never exempt.
 */
public class AuthorityPayloadClearance implements PayloadClearance {

    private final String authority;
    private final AuthorityAuthorizationManager<HttpServletRequest> manager;

    /** @param roleHierarchy the application's role hierarchy, or null for none */
    public AuthorityPayloadClearance(String authority, RoleHierarchy roleHierarchy) {
        this.authority = StringUtils.hasText(authority) ? authority.trim() : null;
        if (this.authority == null) {
            this.manager = null;
            return;
        }
        this.manager = AuthorityAuthorizationManager.hasAnyAuthority(
                DeadLetterAuthorizationInterceptor.accepted(this.authority).toArray(String[]::new));
        this.manager.setRoleHierarchy(roleHierarchy == null ? new NullRoleHierarchy() : roleHierarchy);
    }

    /** The authority checked, or null when nobody is exempt. */
    public String authority() {
        return authority;
    }

    @Override
    public boolean granted(HttpServletRequest request) {
        if (manager == null) {
            return false;
        }
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (authentication == null || !authentication.isAuthenticated()
                || authentication instanceof AnonymousAuthenticationToken) {
            return false;
        }
        AuthorizationResult result = manager.authorize(() -> authentication, request);
        return result != null && result.isGranted();
    }
}
