package io.axondlq.spring.web.security;

import io.axondlq.spring.web.DeadLetterApiException;
import io.axondlq.spring.web.DeadLetterRestEndpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.method.HandlerMethod;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The authorization rules, including that an empty authority disables its check (and only its check). */
class DeadLetterAuthorizationInterceptorTest {

    static class Endpoint implements DeadLetterRestEndpoint {
        public void handle() {
        }
    }

    static class HostController {
        public void handle() {
        }
    }

    @AfterEach
    void clear() {
        SecurityContextHolder.clearContext();
    }

    private static boolean allowed(DeadLetterAuthorizationInterceptor interceptor, String method, String user,
                                   String... authorities) throws Exception {
        if (user != null) {
            SecurityContextHolder.getContext().setAuthentication(new UsernamePasswordAuthenticationToken(
                    user, "n/a", Arrays.stream(authorities).map(SimpleGrantedAuthority::new).toList()));
        } else {
            SecurityContextHolder.clearContext();
        }
        try {
            return interceptor.preHandle(new MockHttpServletRequest(method, "/dead-letters/x"),
                                         new MockHttpServletResponse(),
                                         new HandlerMethod(new Endpoint(), Endpoint.class.getMethod("handle")));
        } catch (DeadLetterApiException e) {
            return false;
        }
    }

    private static String status(DeadLetterAuthorizationInterceptor interceptor, String method, String user,
                                 String... authorities) throws Exception {
        try {
            allowedOrThrow(interceptor, method, user, authorities);
            return "allowed";
        } catch (DeadLetterApiException e) {
            return e.problem().name().equals("UNAUTHENTICATED") ? "401" : "403";
        }
    }

    private static void allowedOrThrow(DeadLetterAuthorizationInterceptor interceptor, String method, String user,
                                       String... authorities) throws Exception {
        if (user != null) {
            SecurityContextHolder.getContext().setAuthentication(new UsernamePasswordAuthenticationToken(
                    user, "n/a", Arrays.stream(authorities).map(SimpleGrantedAuthority::new).toList()));
        } else {
            SecurityContextHolder.clearContext();
        }
        interceptor.preHandle(new MockHttpServletRequest(method, "/dead-letters/x"), new MockHttpServletResponse(),
                              new HandlerMethod(new Endpoint(), Endpoint.class.getMethod("handle")));
    }

    @Test
    void readsNeedTheReadOrWriteAuthorityWritesTheWriteAuthority() throws Exception {
        var interceptor = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN");
        assertThat(interceptor.isActive()).isTrue();
        assertThat(status(interceptor, "GET", null)).isEqualTo("401");
        assertThat(status(interceptor, "GET", "u")).isEqualTo("403");
        assertThat(status(interceptor, "GET", "u", "DLQ_READ")).isEqualTo("allowed");
        assertThat(status(interceptor, "GET", "u", "DLQ_ADMIN")).isEqualTo("allowed");
        assertThat(status(interceptor, "POST", null)).isEqualTo("401");
        assertThat(status(interceptor, "POST", "u", "DLQ_READ")).isEqualTo("403");
        assertThat(status(interceptor, "DELETE", "u", "DLQ_READ")).isEqualTo("403");
        assertThat(status(interceptor, "DELETE", "u", "DLQ_ADMIN")).isEqualTo("allowed");
    }

    @Test
    void anEmptyReadAuthorityOpensReadsOnly() throws Exception {
        var interceptor = new DeadLetterAuthorizationInterceptor("", "DLQ_ADMIN");
        assertThat(interceptor.readAuthority()).isNull();
        assertThat(status(interceptor, "GET", null)).isEqualTo("allowed");
        assertThat(status(interceptor, "POST", null)).isEqualTo("401");
        assertThat(status(interceptor, "POST", "u", "DLQ_READ")).isEqualTo("403");
        assertThat(status(interceptor, "POST", "u", "DLQ_ADMIN")).isEqualTo("allowed");
    }

    @Test
    void anEmptyWriteAuthorityOpensWritesOnly() throws Exception {
        var interceptor = new DeadLetterAuthorizationInterceptor("DLQ_READ", " ");
        assertThat(interceptor.writeAuthority()).isNull();
        assertThat(status(interceptor, "POST", null)).isEqualTo("allowed");
        assertThat(status(interceptor, "DELETE", null)).isEqualTo("allowed");
        assertThat(status(interceptor, "GET", null)).isEqualTo("401");
        assertThat(status(interceptor, "GET", "u", "DLQ_READ")).isEqualTo("allowed");
    }

    @Test
    void bothEmptyChecksNothingAndOtherControllersAreNeverChecked() throws Exception {
        var open = new DeadLetterAuthorizationInterceptor(null, "");
        assertThat(open.isActive()).isFalse();
        assertThat(allowed(open, "DELETE", null)).isTrue();
        var strict = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN");
        assertThat(strict.preHandle(new MockHttpServletRequest("DELETE", "/elsewhere"), new MockHttpServletResponse(),
                                    new HandlerMethod(new HostController(),
                                                      HostController.class.getMethod("handle")))).isTrue();
        assertThatThrownBy(() -> allowedOrThrow(strict, "DELETE", null)).isInstanceOf(DeadLetterApiException.class);
    }

    @Test
    void anUnprefixedAuthorityIsAlsoMetByTheRoleOfThatNameAPrefixedOneOnlyByThatRole() throws Exception {
        var unprefixed = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN");
        assertThat(status(unprefixed, "GET", "u", "ROLE_DLQ_READ")).isEqualTo("allowed");
        assertThat(status(unprefixed, "DELETE", "u", "ROLE_DLQ_ADMIN")).isEqualTo("allowed");
        assertThat(status(unprefixed, "GET", "u", "ROLE_DLQ_ADMIN")).isEqualTo("allowed");
        assertThat(status(unprefixed, "DELETE", "u", "ROLE_DLQ_READ")).isEqualTo("403");
        assertThat(status(unprefixed, "DELETE", "u", "dlq_admin", "ROLE_ROLE_DLQ_ADMIN", "DLQ_ADMIN ")).isEqualTo("403");

        var prefixed = new DeadLetterAuthorizationInterceptor("ROLE_OPS", "ROLE_OPS_ADMIN");
        assertThat(status(prefixed, "GET", "u", "ROLE_OPS")).isEqualTo("allowed");
        assertThat(status(prefixed, "GET", "u", "OPS")).isEqualTo("403");
        assertThat(status(prefixed, "POST", "u", "OPS_ADMIN")).isEqualTo("403");
        assertThat(status(prefixed, "POST", "u", "ROLE_OPS_ADMIN")).isEqualTo("allowed");
        assertThat(status(prefixed, "POST", "u", "ROLE_ROLE_OPS_ADMIN")).isEqualTo("403");
    }

    @Test
    void theApplicationsRoleHierarchyDecides() throws Exception {
        RoleHierarchy hierarchy = RoleHierarchyImpl.withDefaultRolePrefix()
                                                   .role("ADMIN").implies("DLQ_ADMIN")
                                                   .role("DLQ_ADMIN").implies("DLQ_READ")
                                                   .build();
        var interceptor = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN", hierarchy, null);
        assertThat(status(interceptor, "DELETE", "u", "ROLE_ADMIN")).isEqualTo("allowed");
        assertThat(status(interceptor, "GET", "u", "ROLE_ADMIN")).isEqualTo("allowed");
        assertThat(status(interceptor, "DELETE", "u", "ROLE_DLQ_READ")).isEqualTo("403");
        // without the hierarchy the higher role is nothing to axon-dlq
        var flat = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN");
        assertThat(status(flat, "DELETE", "u", "ROLE_ADMIN")).isEqualTo("403");
    }

    @Test
    void aRefusedAnonymousRequestCarriesTheChallenge() {
        var defaults = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN");
        assertThatThrownBy(() -> allowedOrThrow(defaults, "GET", null))
                .isInstanceOfSatisfying(DeadLetterApiException.class, e -> assertThat(e.headers())
                        .containsEntry("WWW-Authenticate", "Basic realm=\"axon-dlq\""));
        var bearer = new DeadLetterAuthorizationInterceptor("DLQ_READ", "DLQ_ADMIN", null, "Bearer");
        assertThatThrownBy(() -> allowedOrThrow(bearer, "POST", null))
                .isInstanceOfSatisfying(DeadLetterApiException.class, e -> assertThat(e.headers())
                        .containsEntry("WWW-Authenticate", "Bearer"));
        assertThatThrownBy(() -> allowedOrThrow(bearer, "POST", "u", "DLQ_READ"))
                .isInstanceOfSatisfying(DeadLetterApiException.class, e -> assertThat(e.headers()).isEmpty());
    }
}
