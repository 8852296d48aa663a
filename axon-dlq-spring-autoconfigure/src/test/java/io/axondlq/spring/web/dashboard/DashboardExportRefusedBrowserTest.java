package io.axondlq.spring.web.dashboard;

import io.axondlq.spring.web.testapp.DlqWebTestApplication;
import io.axondlq.spring.web.testapp.LedgerProjection;
import io.axondlq.spring.web.testapp.Poison;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.ActiveProfiles;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The dashboard's export buttons when the API refuses the export (here every export: {@code export.max-concurrent=0},
 * 429 {@code export-busy} with Retry-After, as when two exports already stream on the node): the operator must be
 * told, as every other refusal is shown (problem+json detail in the error box), instead of getting a failed or
 * problem-filled download and no message.
 */
@SpringBootTest(classes = {DlqWebTestApplication.class, BrowserUsers.class},
                webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
                properties = "axon.dlq.export.max-concurrent=0")
@ActiveProfiles("dlqweb")
@ExtendWith(ChromiumAvailable.class)
class DashboardExportRefusedBrowserTest {

    private static ChromeDriver driver;

    @LocalServerPort
    int port;
    @Autowired
    Poison poison;
    @Autowired
    DlqWebTestApplication.Accounts accounts;

    @BeforeAll
    static void browser() {
        Browser.require();
        driver = Browser.start();
    }

    @AfterAll
    static void quit() {
        if (driver != null) {
            driver.quit();
            driver = null;
        }
    }

    @Test
    void aRefusedExportIsShownToTheOperator() throws Exception {
        String account = "ui-export-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        String base = "http://localhost:" + port;

        // The API refuses the export with a problem the operator could act on.
        HttpResponse<String> direct = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base + "/dead-letters/processing-groups/" + LedgerProjection.GROUP
                                                          + "/export?format=json"))
                           .header("Cookie", BrowserUsers.COOKIE + "=" + BrowserUsers.OPERATOR).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(direct.statusCode()).isEqualTo(429);
        assertThat(direct.body()).contains("export-busy");

        driver.get(base + "/actuator/health");
        driver.manage().deleteAllCookies();
        driver.manage().addCookie(new Cookie(BrowserUsers.COOKIE, BrowserUsers.OPERATOR, "/"));
        driver.get(base + "/dead-letters/ui/#/groups/" + LedgerProjection.GROUP);
        Browser.waitFor(driver, d -> !d.findElement(By.id("who")).getText().isEmpty());
        Browser.waitFor(driver, d -> !d.findElements(By.linkText("Export JSON")).isEmpty());
        Browser.click(driver, By.linkText("Export JSON"));

        try {
            new WebDriverWait(driver, Duration.ofSeconds(10), Duration.ofMillis(100)).until(d -> {
                WebElement error = d.findElement(By.id("error"));
                return error.isDisplayed() && !error.getText().isEmpty();
            });
        } catch (TimeoutException e) {
            fail("the export was refused (429 export-busy) and the dashboard showed nothing; error box: ["
                         + driver.findElement(By.id("error")).getText() + "], page: " + driver.getCurrentUrl());
        } finally {
            Browser.screenshot(driver, getClass().getSimpleName());
        }
        assertThat(driver.findElement(By.id("error")).getText()).containsIgnoringCase("export");
    }
}
