package io.axondlq.spring.web.testapp;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Arrays;

/**
 * Stands in for the host application's Spring Security filter chain (this module has spring-security-core only):
 * {@code X-Test-User} and {@code X-Test-Authorities} (comma separated) become the request's authentication.
 */
public class TestAuthenticationFilter extends OncePerRequestFilter {

    public static final String USER = "X-Test-User";
    public static final String AUTHORITIES = "X-Test-Authorities";

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String user = request.getHeader(USER);
        if (user == null) {
            chain.doFilter(request, response);
            return;
        }
        String authorities = request.getHeader(AUTHORITIES);
        SecurityContextHolder.getContext().setAuthentication(new UsernamePasswordAuthenticationToken(
                user, "n/a", authorities == null ? java.util.List.of()
                        : Arrays.stream(authorities.split(",")).map(String::trim).filter(a -> !a.isEmpty())
                                .map(SimpleGrantedAuthority::new).toList()));
        try {
            chain.doFilter(request, response);
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
