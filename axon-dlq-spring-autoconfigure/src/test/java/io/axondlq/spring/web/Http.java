package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * A raw HTTP client for the REST API tests: exact paths (no template encoding), any method, any header. Writes carry
 * {@value #WRITE_HEADER} and bodies {@code Content-Type: application/json} unless a request says otherwise or omits
 * them ({@link #OMIT}).
 */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String BASE = "/dead-letters";
    /** As a header value: do not send this header (not even a default one). */
    static final String OMIT = "\u0000omit";
    /** Sent with every write unless omitted (see {@link CrossSiteRequestGuard}). */
    static final String WRITE_HEADER = CrossSiteRequestGuard.HEADER;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final String[] defaultHeaders;

    /** @param defaultHeaders name, value, ... sent with every request unless the request sets the header itself */
    Http(int port, String... defaultHeaders) {
        this.port = port;
        this.defaultHeaders = defaultHeaders.clone();
    }

    record Response(int status, java.net.http.HttpHeaders headers, String body) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("Not JSON (status " + status + "): " + body, e);
            }
        }

        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + contentType() + " " + (body.length() > 2000 ? body.substring(0, 2000) : body);
        }
    }

    Response get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Response post(String path, String body, String... headers) {
        return send("POST", path, body, headers);
    }

    Response delete(String path, String... headers) {
        return send("DELETE", path, null, headers);
    }

    /** @param path below the base path, raw (already percent-encoded) */
    Response send(String method, String path, String body, String... headers) {
        return sendRaw(method, BASE + path, body, headers);
    }

    Response sendRaw(String method, String rawPath, String body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://localhost:" + port + rawPath))
                                                 .timeout(Duration.ofSeconds(60))
                                                 .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                                         : HttpRequest.BodyPublishers.ofString(body,
                                                                                               StandardCharsets.UTF_8));
        java.util.Map<String, String> all = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        if (body != null) {
            all.put("Content-Type", "application/json");
        }
        if (!List.of("GET", "HEAD", "OPTIONS", "TRACE").contains(method)) {
            all.put(WRITE_HEADER, "1");
        }
        for (int i = 0; i + 1 < defaultHeaders.length; i += 2) {
            all.put(defaultHeaders[i], defaultHeaders[i + 1]);
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            all.put(headers[i], headers[i + 1]);
        }
        all.forEach((name, value) -> {
            if (!OMIT.equals(value)) {
                builder.setHeader(name, value);
            }
        });
        try {
            HttpResponse<String> response = client.send(builder.build(),
                                                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Response(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static String encode(String segment) {
        return java.net.URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static List<String> lines(String body) {
        return body.lines().filter(l -> !l.isBlank()).toList();
    }
}
