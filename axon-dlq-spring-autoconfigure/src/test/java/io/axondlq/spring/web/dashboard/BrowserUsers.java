package io.axondlq.spring.web.dashboard;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Stands in for the host application's login in the browser tests (this module has spring-security-core only, no
 * filter chain): the cookie {@value #COOKIE} names the user, whose authorities are fixed here. A browser sends the
 * cookie with the page and with every fetch of the dashboard, as it would send a session cookie.
 */
@TestConfiguration(proxyBeanMethods = false)
public class BrowserUsers {

    public static final String COOKIE = "dlq-test-user";
    public static final String OPERATOR = "operator";
    public static final String VIEWER = "viewer";
    /** Authenticated, but without any axon-dlq authority. */
    public static final String OUTSIDER = "outsider";
    static final Map<String, List<String>> AUTHORITIES = Map.of(OPERATOR, List.of("DLQ_ADMIN"),
                                                                VIEWER, List.of("DLQ_READ"),
                                                                OUTSIDER, List.of("BILLING"));

    @Bean
    public FilterRegistrationBean<OncePerRequestFilter> browserUserFilter() {
        return new FilterRegistrationBean<>(new OncePerRequestFilter() {
            @Override
            protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                            FilterChain chain) throws ServletException, IOException {
                String user = null;
                if (request.getCookies() != null) {
                    for (Cookie cookie : request.getCookies()) {
                        if (COOKIE.equals(cookie.getName()) && AUTHORITIES.containsKey(cookie.getValue())) {
                            user = cookie.getValue();
                        }
                    }
                }
                if (user == null) {
                    chain.doFilter(request, response);
                    return;
                }
                SecurityContextHolder.getContext().setAuthentication(new UsernamePasswordAuthenticationToken(
                        user, "n/a", AUTHORITIES.get(user).stream().map(SimpleGrantedAuthority::new).toList()));
                try {
                    chain.doFilter(request, response);
                } finally {
                    SecurityContextHolder.clearContext();
                }
            }
        });
    }
}
