package io.axondlq.spring.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;

/**
 * Refuses a request to the API's paths that declares a {@code multipart/*} body with 415
 * {@link ProblemType#UNSUPPORTED_MEDIA_TYPE}, without reading the body. The API takes no multipart bodies, and the
 * {@code DispatcherServlet} would parse one before choosing a handler: a malformed body would then fail outside the
 * API's error handling (no handler, so no problem advice), as a 500 from the host's error page with a stack trace in
 * the log, before authorization and the cross-site guard. As a servlet filter mapped to the base path only, it leaves
 * the host application's own multipart endpoints alone; it runs after the host's own filters (such as a Spring
 * Security filter chain), but before the API's authorization, which is an interceptor.
 */
public class MultipartRequestGuard extends OncePerRequestFilter {

    private static final Logger logger = LoggerFactory.getLogger(MultipartRequestGuard.class);

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!isMultipart(request.getContentType())) {
            chain.doFilter(request, response);
            return;
        }
        logger.debug("axon-dlq REST API: {} {} refused: multipart body", request.getMethod(),
                     request.getRequestURI());
        ProblemType type = ProblemType.UNSUPPORTED_MEDIA_TYPE;
        String detail = "Content type [" + RequestParameters.shorten(request.getContentType()) + "] is not supported: "
                + "the axon-dlq API takes no multipart bodies; send " + MediaType.APPLICATION_JSON_VALUE
                + " (or no body, with the header " + CrossSiteRequestGuard.HEADER + "); nothing was changed";
        response.setStatus(type.status().value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        ApiJson.MAPPER.writeValue(response.getOutputStream(),
                                  new ProblemDocument(type, detail, request.getRequestURI(), Map.of()));
    }

    /** Any {@code multipart/} type, as Spring's multipart resolver takes it. */
    static boolean isMultipart(String contentType) {
        return contentType != null && contentType.stripLeading().toLowerCase(Locale.ROOT).startsWith("multipart/");
    }
}
