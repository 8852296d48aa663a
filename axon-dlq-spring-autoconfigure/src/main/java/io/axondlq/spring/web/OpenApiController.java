package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.util.ServletRequestPathUtils;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET {base-path}/openapi.json}: the OpenAPI 3.1 document of this API, behind the read authority like every
 * other read.
 * <p>
 * The document is a resource of this module ({@value #RESOURCE}) that the build generates from the controllers and
 * checks against them, so nothing generates it at run time. Its paths are relative to its one server, whose URL is
 * set per request to where the API answers in this application: the servlet context path (and the dispatcher
 * servlet's prefix, if it has one) followed by {@code axon.dlq.rest.base-path}, e.g. {@code /app/dead-letters}. The
 * URL is relative (no scheme or host) so that it stays right behind proxies without trusting forwarded headers.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class OpenApiController implements DeadLetterRestEndpoint {

    /** Where the document is on the classpath. */
    public static final String RESOURCE = "META-INF/axon-dlq/openapi.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String basePath;
    private volatile ObjectNode document;

    public OpenApiController(String basePath) {
        this.basePath = basePath;
    }

    @GetMapping(value = "/openapi.json", produces = MediaType.APPLICATION_JSON_VALUE)
    public JsonNode openApi(@RequestParam MultiValueMap<String, String> params, HttpServletRequest request) {
        RequestParameters.of(params);
        ObjectNode served = shipped().deepCopy();
        served.putArray("servers").addObject().put("url", serverUrl(request));
        return served;
    }

    private String serverUrl(HttpServletRequest request) {
        // The parsed path's context path includes the servlet path when the DispatcherServlet is mapped by prefix.
        String contextPath = ServletRequestPathUtils.hasParsedRequestPath(request)
                ? ServletRequestPathUtils.getParsedRequestPath(request).contextPath().value()
                : request.getContextPath();
        return contextPath + basePath;
    }

    /** The shipped document, read once. */
    ObjectNode shipped() {
        ObjectNode loaded = document;
        if (loaded == null) {
            loaded = load();
            document = loaded;
        }
        return loaded;
    }

    static ObjectNode load() {
        try (InputStream in = OpenApiController.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("axon-dlq: " + RESOURCE + " is missing from the classpath");
            }
            JsonNode json = JSON.readTree(in);
            if (!(json instanceof ObjectNode object)) {
                throw new IllegalStateException("axon-dlq: " + RESOURCE + " is not a JSON object");
            }
            return object;
        } catch (IOException e) {
            throw new UncheckedIOException("axon-dlq: " + RESOURCE + " cannot be read", e);
        }
    }
}
