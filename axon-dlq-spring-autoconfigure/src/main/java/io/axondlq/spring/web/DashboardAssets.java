package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.Ordered;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.HttpRequestHandler;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.handler.SimpleUrlHandlerMapping;
import org.springframework.web.servlet.resource.ResourceHttpRequestHandler;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Serves the dashboard's static files from {@value #LOCATION} at {@code {base-path}/ui/}: {@code {base-path}/ui}
 * redirects to {@code ui/}, which answers {@code index.html}, everything below is a file of that folder (Spring's
 * {@link ResourceHttpRequestHandler}: no path traversal, Last-Modified, HEAD). Its order comes before the controllers'
 * mapping, so the API's fallback (404 problem for unknown paths under the base path) does not take these paths; it
 * matches nothing else.
 * <p>
 * Opening the dashboard needs what reading the API needs ({@link DeadLetterAccess}): 401 with the API's challenge
 * without a user (so a browser asks for one with HTTP basic), 403 without the read authority.
 */
public class DashboardAssets extends SimpleUrlHandlerMapping {

    /** Classpath folder of the dashboard's files. */
    public static final String LOCATION = "META-INF/axon-dlq/ui/";

    private static final Set<String> READ_METHODS = Set.of("GET", "HEAD");

    public DashboardAssets(String basePath, ObjectProvider<DeadLetterAccess> access) {
        setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        ResourceHttpRequestHandler files = new ResourceHttpRequestHandler();
        files.setLocations(List.of(new ClassPathResource(LOCATION)));
        files.setMediaTypes(Map.of("js", MediaType.parseMediaType("text/javascript"),
                                   "css", MediaType.parseMediaType("text/css"),
                                   "svg", MediaType.parseMediaType("image/svg+xml")));
        // Revalidated on every load (Last-Modified), so an upgraded jar's files are picked up at once.
        files.setCacheControl(CacheControl.noCache());
        try {
            files.afterPropertiesSet();
        } catch (Exception e) {
            throw new IllegalStateException("axon-dlq dashboard files could not be set up", e);
        }
        Map<String, Object> handlers = new LinkedHashMap<>();
        handlers.put(basePath + "/ui", (HttpRequestHandler) DashboardAssets::redirectToFolder);
        handlers.put(basePath + "/ui/", (HttpRequestHandler) DashboardAssets::index);
        handlers.put(basePath + "/ui/**", files);
        setUrlMap(handlers);
        setInterceptors(new AccessCheck(access));
    }

    private static void redirectToFolder(HttpServletRequest request, HttpServletResponse response) {
        response.setStatus(HttpServletResponse.SC_FOUND);
        response.setHeader(HttpHeaders.LOCATION, request.getRequestURI() + "/");
    }

    private static void index(HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (!READ_METHODS.contains(request.getMethod())) {
            response.setHeader(HttpHeaders.ALLOW, "GET, HEAD");
            response.sendError(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
            return;
        }
        ClassPathResource index = new ClassPathResource(LOCATION + "index.html");
        response.setContentType("text/html;charset=UTF-8");
        response.setHeader(HttpHeaders.CACHE_CONTROL, CacheControl.noCache().getHeaderValue());
        byte[] bytes;
        try (InputStream in = index.getInputStream()) {
            bytes = in.readAllBytes();
        }
        response.setContentLength(bytes.length);
        if ("GET".equals(request.getMethod())) {
            response.getOutputStream().write(bytes);
        }
    }

    /** The dashboard's files need the read authority, like the API they call. */
    private record AccessCheck(ObjectProvider<DeadLetterAccess> access) implements HandlerInterceptor {

        @Override
        public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler)
                throws IOException {
            DeadLetterAccess decisions = access.getIfAvailable(() -> DeadLetterAccess.OPEN);
            DeadLetterAccess.Decision decision = decisions.decide(request, false);
            if (decision == DeadLetterAccess.Decision.GRANTED) {
                return true;
            }
            boolean unauthenticated = decision == DeadLetterAccess.Decision.UNAUTHENTICATED;
            if (unauthenticated && decisions.challenge() != null) {
                response.setHeader(HttpHeaders.WWW_AUTHENTICATE, decisions.challenge());
            }
            response.setStatus(unauthenticated ? HttpServletResponse.SC_UNAUTHORIZED
                                       : HttpServletResponse.SC_FORBIDDEN);
            response.setContentType("text/plain;charset=UTF-8");
            response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
            response.getOutputStream().write((unauthenticated ? "The axon-dlq dashboard needs an authenticated user"
                    : "The axon-dlq dashboard needs the authority to read dead letters").getBytes(StandardCharsets.UTF_8));
            return false;
        }
    }
}
