package io.axondlq.sample;

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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** A plain HTTP client for the walkthrough: what demo.sh does with curl. */
final class SampleHttp {

    static final String ADMIN = "admin:admin";
    static final String VIEWER = "viewer:viewer";
    static final String ANONYMOUS = null;

    private static final ObjectMapper json = new ObjectMapper();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;

    SampleHttp(int port) {
        this.baseUrl = "http://localhost:" + port;
    }

    record Response(int status, String body, Map<String, String> headers) {

        JsonNode json() {
            try {
                return SampleHttp.json.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("Not JSON (HTTP " + status + "): " + body, e);
            }
        }

        @Override
        public String toString() {
            return "HTTP " + status + " " + body;
        }
    }

    Response get(String path, String user) {
        return send("GET", path, user, null, Map.of());
    }

    Response post(String path, String user, String body) {
        return send("POST", path, user, body, Map.of());
    }

    Response post(String path, String user, String body, Map<String, String> headers) {
        return send("POST", path, user, body, headers);
    }

    Response delete(String path, String user) {
        return send("DELETE", path, user, null, Map.of());
    }

    private Response send(String method, String path, String user, String body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                                                 .timeout(Duration.ofSeconds(30))
                                                 .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                                         : HttpRequest.BodyPublishers.ofString(body));
        if (body != null && headers.keySet().stream().noneMatch("Content-Type"::equalsIgnoreCase)) {
            request.header("Content-Type", "application/json");
        }
        if (!method.equals("GET")) {
            // as curl scripts do for bodiless writes: axon-dlq refuses writes that are neither JSON nor marked
            request.header("X-Axon-DLQ-Request", "1");
        }
        if (user != null) {
            request.header("Authorization", "Basic " + Base64.getEncoder()
                                                              .encodeToString(user.getBytes(StandardCharsets.UTF_8)));
        }
        headers.forEach(request::header);
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> responseHeaders = new LinkedHashMap<>();
            response.headers().map().forEach((k, v) -> responseHeaders.put(k.toLowerCase(), String.join(",", v)));
            return new Response(response.statusCode(), response.body(), responseHeaders);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
