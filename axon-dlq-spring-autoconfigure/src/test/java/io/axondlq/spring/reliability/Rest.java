package io.axondlq.spring.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.spring.web.CrossSiteRequestGuard;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A small client for well-formed calls of one node's REST API (paths below {@code /dead-letters}, pre-encoded). */
final class Rest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String BASE = "/dead-letters";

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final int port;

    Rest(int port) {
        this.port = port;
    }

    record Response(int status, String contentType, String body) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("Not JSON (status " + status + "): " + body, e);
            }
        }

        @Override
        public String toString() {
            return status + " " + contentType + " " + (body.length() > 1000 ? body.substring(0, 1000) + "…" : body);
        }
    }

    Response get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    Response post(String path, String body, String... headers) {
        return send("POST", path, body, headers);
    }

    Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** A path outside the API, e.g. {@code /actuator/health}. */
    Response getAbsolute(String path) {
        return sendAbsolute("GET", path, null);
    }

    /** A POST outside the API, e.g. the node application's own {@code /reliability/...}. */
    Response postAbsolute(String path) {
        return sendAbsolute("POST", path, null);
    }

    Response send(String method, String path, String body, String... headers) {
        return sendAbsolute(method, BASE + path, body, headers);
    }

    private Response sendAbsolute(String method, String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                                                 .timeout(Duration.ofSeconds(120))
                                                 .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                                         : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        if (!method.equals("GET")) {
            // what a script or tool sends so that the API knows the write is not a cross-site form or no-cors fetch
            request.header(CrossSiteRequestGuard.HEADER, "1");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.setHeader(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""),
                                response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " on port " + port, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Every item of a keyset-paged listing. */
    List<JsonNode> all(String path, int limit) {
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        String separator = path.contains("?") ? "&" : "?";
        do {
            Response response = get(path + separator + "limit=" + limit + (cursor == null ? "" : "&cursor=" + cursor));
            if (response.status() != 200) {
                throw new AssertionError("GET " + path + ": " + response);
            }
            JsonNode page = response.json();
            page.path("items").forEach(items::add);
            cursor = page.path("nextCursor").isNull() || page.path("nextCursor").isMissingNode() ? null
                    : page.path("nextCursor").asText();
        } while (cursor != null);
        return items;
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
