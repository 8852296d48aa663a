package io.axondlq.spring.web.dashboard;

import io.axondlq.spring.web.DashboardAssets;
import io.axondlq.spring.web.testapp.DlqWebTestApplication;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.test.context.ActiveProfiles;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code axon.dlq.ui.enabled=false}: no dashboard files; the REST API, {@code /me} included, stays. */
@SpringBootTest(classes = {DlqWebTestApplication.class, BrowserUsers.class},
                webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
                properties = "axon.dlq.ui.enabled=false")
@ActiveProfiles("dlqweb")
class DashboardDisabledTest {

    @LocalServerPort
    int port;
    @Autowired
    ApplicationContext context;

    @Test
    void theFilesAreNotServedButTheApiIs() throws Exception {
        assertThat(context.getBeansOfType(DashboardAssets.class)).isEmpty();
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> page = client.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/dead-letters/ui/"))
                           .header("Cookie", BrowserUsers.COOKIE + "=" + BrowserUsers.VIEWER).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(404);
        assertThat(page.body()).doesNotContain("<script");
        HttpResponse<String> me = client.send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/dead-letters/me"))
                           .header("Cookie", BrowserUsers.COOKIE + "=" + BrowserUsers.VIEWER).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(me.statusCode()).isEqualTo(200);
    }
}
