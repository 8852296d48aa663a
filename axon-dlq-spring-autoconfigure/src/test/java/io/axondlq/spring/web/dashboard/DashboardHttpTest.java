package io.axondlq.spring.web.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.spring.web.testapp.DlqWebTestApplication;
import io.axondlq.spring.web.testapp.LedgerProjection;
import io.axondlq.spring.web.testapp.Poison;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard's HTTP side without a browser: its files behind the read authority, {@code GET /me} and
 * {@code GET /statistics/enqueued-per-hour}. Same application as {@link DashboardBrowserTest}.
 */
@SpringBootTest(classes = {DlqWebTestApplication.class, BrowserUsers.class},
                webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("dlqweb")
class DashboardHttpTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient client = HttpClient.newHttpClient();

    @LocalServerPort
    int port;
    @Autowired
    Poison poison;
    @Autowired
    DlqWebTestApplication.Accounts accounts;

    @Test
    void theFilesNeedTheReadAuthority() throws Exception {
        HttpResponse<String> anonymous = get("/dead-letters/ui/", null);
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"axon-dlq\"");
        assertThat(anonymous.body()).doesNotContain("<script");
        assertThat(get("/dead-letters/ui/app.js", null).statusCode()).isEqualTo(401);

        HttpResponse<String> outsider = get("/dead-letters/ui/app.js", BrowserUsers.OUTSIDER);
        assertThat(outsider.statusCode()).isEqualTo(403);
        assertThat(outsider.body()).doesNotContain("import");
    }

    @Test
    void aReaderGetsThePageAndItsModules() throws Exception {
        HttpResponse<String> folder = get("/dead-letters/ui", BrowserUsers.VIEWER);
        assertThat(folder.statusCode()).isEqualTo(302);
        assertThat(folder.headers().firstValue("Location")).hasValue("/dead-letters/ui/");

        HttpResponse<String> index = get("/dead-letters/ui/", BrowserUsers.VIEWER);
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("Content-Type")).hasValue("text/html;charset=UTF-8");
        assertThat(index.body()).contains("<script type=\"module\" src=\"app.js\"></script>");

        for (String module : new String[]{"app.js", "api.js", "dom.js"}) {
            HttpResponse<String> js = get("/dead-letters/ui/" + module, BrowserUsers.VIEWER);
            assertThat(js.statusCode()).as(module).isEqualTo(200);
            // ES modules load only with a JavaScript MIME type.
            assertThat(js.headers().firstValue("Content-Type").orElseThrow()).as(module).startsWith("text/javascript");
            // nothing loaded from elsewhere: every import is relative
            assertThat(js.body()).as(module).contains("export")
                                 .doesNotContainPattern("(from|import)\\s*\\(?\\s*['\"](https?:)?//");
        }
        assertThat(get("/dead-letters/ui/style.css", BrowserUsers.VIEWER).headers().firstValue("Content-Type")
                           .orElseThrow()).startsWith("text/css");
        assertThat(get("/dead-letters/ui/no-such-file.js", BrowserUsers.VIEWER).statusCode()).isEqualTo(404);
        // only GET and HEAD
        HttpResponse<String> post = client.send(request("/dead-letters/ui/", BrowserUsers.OPERATOR)
                                                        .header("Content-Type", "application/json")
                                                        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                                                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
    }

    @Test
    void meTellsWhatTheCallerMayDo() throws Exception {
        JsonNode viewer = json(get("/dead-letters/me", BrowserUsers.VIEWER), 200);
        assertThat(viewer.path("name").asText()).isEqualTo("viewer");
        assertThat(viewer.path("mayRead").asBoolean()).isTrue();
        assertThat(viewer.path("mayWrite").asBoolean()).isFalse();

        JsonNode operator = json(get("/dead-letters/me", BrowserUsers.OPERATOR), 200);
        assertThat(operator.path("name").asText()).isEqualTo("operator");
        assertThat(operator.path("mayRead").asBoolean()).isTrue();
        assertThat(operator.path("mayWrite").asBoolean()).isTrue();

        assertThat(get("/dead-letters/me", null).statusCode()).isEqualTo(401);
        assertThat(get("/dead-letters/me", BrowserUsers.OUTSIDER).statusCode()).isEqualTo(403);
        assertThat(get("/dead-letters/me?x=1", BrowserUsers.VIEWER).statusCode()).isEqualTo(400);
    }

    @Test
    void enqueuedPerHourCountsTheHeldLettersOfTheLast24Hours() throws Exception {
        String account = "per-hour-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode before = json(get("/dead-letters/statistics/enqueued-per-hour", BrowserUsers.VIEWER), 200);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 2);

        JsonNode after = json(get("/dead-letters/statistics/enqueued-per-hour", BrowserUsers.VIEWER), 200);

        Instant hour = Instant.now().truncatedTo(ChronoUnit.HOURS);
        assertThat(after.path("hours").asInt()).isEqualTo(24);
        Instant from = Instant.parse(after.path("from").asText());
        assertThat(from).isIn(hour.minus(23, ChronoUnit.HOURS), hour.minus(22, ChronoUnit.HOURS));
        // the two new letters are in the current hour (or the next one, if the hour turned in between)
        long gained = lettersOf(after, LedgerProjection.GROUP) - lettersOf(before, LedgerProjection.GROUP);
        assertThat(gained).isEqualTo(2);
        after.path("items").forEach(item -> assertThat(Instant.parse(item.path("hourStart").asText()))
                .isBetween(from, hour.plus(1, ChronoUnit.HOURS)));
        assertThat(get("/dead-letters/statistics/enqueued-per-hour?hours=3", BrowserUsers.VIEWER).statusCode())
                .isEqualTo(400);
    }

    private static long lettersOf(JsonNode body, String group) {
        long letters = 0;
        for (JsonNode item : body.path("items")) {
            if (item.path("processingGroup").asText().equals(group)) {
                letters += item.path("letters").asLong();
            }
        }
        return letters;
    }

    private HttpRequest.Builder request(String path, String user) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
        if (user != null) {
            request.header("Cookie", BrowserUsers.COOKIE + "=" + user);
        }
        return request;
    }

    private HttpResponse<String> get(String path, String user) throws IOException, InterruptedException {
        return client.send(request(path, user).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response, int status) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        return JSON.readTree(response.body());
    }
}
