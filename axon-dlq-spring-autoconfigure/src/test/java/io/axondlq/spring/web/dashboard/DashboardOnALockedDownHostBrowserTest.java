package io.axondlq.spring.web.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.spring.web.testapp.DlqWebTestApplication;
import io.axondlq.spring.web.testapp.LedgerProjection;
import io.axondlq.spring.web.testapp.Poison;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.Customizer;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.header.writers.DelegatingRequestMatcherHeaderWriter;
import org.springframework.security.web.header.writers.StaticHeadersWriter;
import org.springframework.test.context.ActiveProfiles;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IllformedLocaleException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard on a host that locks it down the way production applications do, in a real headless Chromium:
 * Spring Security's filter chain with form login and cookie CSRF tokens ({@code CookieCsrfTokenRepository}, the
 * README's recipe), a Content-Security-Policy of {@code default-src 'self'}, a servlet context path and a base path
 * that both hold a {@code ui} segment, and {@code axon.dlq.rest.max-page-size} below every page the dashboard asks
 * for. Every view still loads, writes pass the host's CSRF check, nothing needs inline style, and the browser's
 * console stays free of errors (checked after each test). The same host also shows what the dashboard does with what
 * an operator typed, with exact large numbers, and with a redelivery that fails again.
 */
@SpringBootTest(classes = {DlqWebTestApplication.class, DashboardOnALockedDownHostBrowserTest.LockedDownHost.class},
                webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
                properties = {
                        // Boot's security auto-configuration back on (the test properties leave it out for the
                        // applications of the other tests): this host's filter chain is registered as Boot does it
                        "spring.autoconfigure.exclude=",
                        "server.servlet.context-path=" + DashboardOnALockedDownHostBrowserTest.CONTEXT_PATH,
                        "axon.dlq.rest.base-path=" + DashboardOnALockedDownHostBrowserTest.BASE_PATH,
                        "axon.dlq.rest.max-page-size=" + DashboardOnALockedDownHostBrowserTest.MAX_PAGE_SIZE})
@ActiveProfiles("dlqweb")
@ExtendWith(ChromiumAvailable.class)
class DashboardOnALockedDownHostBrowserTest {

    static final String CONTEXT_PATH = "/ui";
    static final String BASE_PATH = "/ops/ui/dlq";
    /** Below the dashboard's own page sizes (50 letters, 200 audit entries, 500 letters per eviction round). */
    static final int MAX_PAGE_SIZE = 20;
    static final String GROUP = LedgerProjection.GROUP;
    private static final String OPERATOR = "operator";
    private static final String PASSWORD = "operator-password";

    /** The host's security: form login, cookie CSRF tokens for its single-page clients, a strict CSP on the DLQ. */
    @TestConfiguration(proxyBeanMethods = false)
    static class LockedDownHost {

        @Bean
        SecurityFilterChain hostSecurity(HttpSecurity http) throws Exception {
            // The README's recipe: the token in a cookie the page's script reads (XSRF-TOKEN), loaded on every
            // request so that the cookie is there before the first write.
            CsrfTokenRequestAttributeHandler tokens = new CsrfTokenRequestAttributeHandler();
            tokens.setCsrfRequestAttributeName(null);
            return http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
                       .formLogin(Customizer.withDefaults())
                       .csrf(csrf -> csrf.csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse())
                                         .csrfTokenRequestHandler(tokens))
                       .headers(headers -> headers.addHeaderWriter(new DelegatingRequestMatcherHeaderWriter(
                               request -> request.getRequestURI().startsWith(request.getContextPath() + BASE_PATH),
                               new StaticHeadersWriter("Content-Security-Policy", "default-src 'self'"))))
                       .build();
        }

        @Bean
        UserDetailsService hostUsers() {
            return new InMemoryUserDetailsManager(User.withUsername(OPERATOR).password("{noop}" + PASSWORD)
                                                      .authorities("DLQ_ADMIN").build());
        }
    }

    private static ChromeDriver driver;

    @LocalServerPort
    int port;
    @Autowired
    Poison poison;
    @Autowired
    DlqWebTestApplication.Accounts accounts;
    @Autowired
    DeadLetterStore store;

    private String testName;
    private boolean loggedIn;

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

    @BeforeEach
    void name(TestInfo info) {
        testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
        driver.manage().deleteAllCookies();
        loggedIn = false;
    }

    @AfterEach
    void screenshotAndConsole() {
        Browser.screenshot(driver, getClass().getSimpleName() + "-" + testName);
        // A CSP violation (inline style, a data: icon) is reported here, as is any failed request; but not the host's
        // login page, which has no icon: Chromium asks for /favicon.ico at the root, outside the context path.
        List<LogEntry> errors = Browser.consoleErrors(driver).stream()
                                       .filter(e -> !e.getMessage().startsWith("http://localhost:" + port
                                                                                       + "/favicon.ico"))
                                       .toList();
        assertThat(errors).as("errors in the browser console").isEmpty();
    }

    @Test
    void writesPassTheHostsCsrfCheckAndEveryListRespectsTheApisPageSize() throws Exception {
        String repaired = "lock-repaired-" + UUID.randomUUID().toString().substring(0, 8);
        String forced = "lock-forced-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(repaired);
        poison.poison(forced);
        accounts.creditAndAwaitLetters(repaired, 2);
        accounts.creditAndAwaitLetters(forced, 1);

        open("#/groups/" + GROUP);
        assertThat(driver.findElement(By.id("who")).getText()).isEqualTo(OPERATOR);
        waitFor(d -> d.findElement(DashboardBrowserTest.sequenceRow(repaired)));

        // The host's CSRF protection is on: the operator's own session, without the token, is refused before the API
        StoredLetter forcedLetter = store.letters(GROUP, LetterFilter.none().withSequenceKey(forced), 1, null)
                                         .items().get(0);
        HttpResponse<String> withoutToken = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(api("/letters/" + forcedLetter.id() + "/redeliver-sequence")))
                           .header("Cookie", "JSESSIONID=" + driver.manage().getCookieNamed("JSESSIONID").getValue())
                           .header("Content-Type", "application/json")
                           .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(withoutToken.statusCode()).isEqualTo(403);
        assertThat(store.sequenceSize(GROUP, forced)).isEqualTo(1);
        assertThat(driver.manage().getCookieNamed("XSRF-TOKEN")).as("the host's token cookie").isNotNull();

        // The dashboard sends the token: the redelivery goes through
        poison.cure(repaired);
        click(By.cssSelector("#sequences tr[data-key='" + repaired + "'] [data-action='redeliver']"));
        waitFor(d -> d.findElement(By.id("notice")).getText().contains("DRAINED, 2 redelivered, 0 remaining"));
        assertThat(store.sequenceSize(GROUP, repaired)).isZero();

        // Lists ask for no more than the API serves
        go("#/audit");
        waitFor(d -> d.findElement(By.id("audit")).getText().contains(repaired));
        go("#/groups/" + GROUP + "/letters");
        waitFor(d -> !d.findElements(By.cssSelector("#letters tbody tr")).isEmpty());
        go("#/jobs");
        waitFor(d -> d.findElement(By.id("start-job")));
        Object limits = ((JavascriptExecutor) driver).executeScript(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                        + ".filter(n => n.includes('limit=')).map(n => new URL(n).searchParams.get('limit')).join(' ')");
        assertThat(String.valueOf(limits).split(" ")).isNotEmpty().containsOnly(String.valueOf(MAX_PAGE_SIZE));
    }

    @Test
    void aFailureGroupLargerThanOnePageIsEvictedAndProgressBarsNeedNoInlineStyle() {
        // More sequences of one cause than one page of the API holds: the eviction reads them in several pages
        String cause = IllformedLocaleException.class.getName();
        List<String> evicted = new ArrayList<>();
        for (int i = 0; i < MAX_PAGE_SIZE + 3; i++) {
            String account = "lock-evict-" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            poison.poison(account, id -> new IllformedLocaleException("bad locale " + id));
            accounts.credit(account, 1);
            evicted.add(account);
        }
        evicted.forEach(account -> accounts.awaitLetters(account, 1));

        open("#/groups/" + GROUP);
        click(By.cssSelector("#failure-groups tr[data-key='" + cause + "'] [data-action='evict-failure-group']"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        click(By.id("confirm-ok"));
        waitFor(d -> d.findElement(By.id("notice")).getText()
                      .equals("Evicted " + evicted.size() + " sequences, " + evicted.size() + " letters"));
        assertThat(evicted).allSatisfy(account -> assertThat(store.sequenceSize(GROUP, account)).isZero());

        // A retry job of a still-failing sequence: its progress bar is drawn (width set through the CSSOM)
        String failing = "lock-job-" + UUID.randomUUID().toString().substring(0, 8);
        String jobCause = UnsupportedOperationException.class.getName();
        poison.poison(failing, id -> new UnsupportedOperationException("still broken " + id));
        accounts.creditAndAwaitLetters(failing, 1);
        open("#/groups/" + GROUP);
        click(By.cssSelector("#failure-groups tr[data-key='" + jobCause + "'] [data-action='retry-failure-group']"));
        waitFor(d -> d.findElement(By.id("job-state")).getText().equals("COMPLETED")
                && d.findElement(By.cssSelector("#job-progress .job-counts")).getText().contains("1 failed"));
        Number failedBarWidth = (Number) ((JavascriptExecutor) driver).executeScript(
                "return parseFloat(getComputedStyle(document.querySelector('#job-progress .bar-row .failed')).width)");
        assertThat(failedBarWidth.doubleValue()).as("the failed part of the bar, px").isGreaterThan(0);
    }

    @Test
    void aLetterShowsLargeNumbersExactlyAndAFailedRedeliveryIsShownWhereTheOperatorIs() {
        String account = "lock-exact-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.credit(account, 9_007_199_254_740_993L); // 2^53 + 1: a JavaScript number would show ...992
        accounts.awaitLetters(account, 1);
        StoredLetter letter = store.letters(GROUP, LetterFilter.none().withSequenceKey(account), 1, null)
                                   .items().get(0);

        open("#/letters/" + letter.id());
        assertThat(waitFor(d -> d.findElement(By.id("payload"))).getText()).contains("\"amount\": 9007199254740993");
        String attempts = driver.findElement(By.id("attempts")).getText();

        // Still poisoned: the API answers 200 with FAILED; the page says so as an error and stays on the letter
        click(By.id("redeliver-sequence"));
        WebElement error = waitFor(d -> {
            WebElement e = d.findElement(By.id("error"));
            return e.isDisplayed() ? e : null;
        });
        assertThat(error.getText()).startsWith("Not done: Redelivery of " + account + ": FAILED, 0 redelivered, "
                                                       + "1 remaining (java.lang.IllegalStateException");
        assertThat(driver.findElement(By.id("notice")).isDisplayed()).isFalse();
        assertThat(driver.getCurrentUrl()).endsWith("#/letters/" + letter.id());
        // ... and shows the letter as it is now: one attempt more
        waitFor(d -> d.findElement(By.id("attempts")).getText().equals(String.valueOf(Integer.parseInt(attempts) + 1)));
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(1);
    }

    @Test
    void theRetryJobFormKeepsWhatTheOperatorTypedWhileTheCountsChange() {
        String first = "lock-form-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(first);
        accounts.creditAndAwaitLetters(first, 1);

        open("#/jobs");
        WebElement form = waitFor(d -> d.findElement(By.id("start-job")));
        new Select(form.findElement(By.name("processingGroup"))).selectByValue("notifications");
        DashboardBrowserTest.type(form.findElement(By.name("causeType")), "com.example.Boom");
        DashboardBrowserTest.type(form.findElement(By.name("batchSize")), "2");
        DashboardBrowserTest.type(form.findElement(By.name("maxSequences")), "5");
        driver.findElement(By.cssSelector("main h2")).click(); // away from the inputs: auto-refresh goes on

        // The ledger's letter count changes, which is in the form's options: renders after it must keep the form
        String second = "lock-form-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(second);
        accounts.creditAndAwaitLetters(second, 1);
        int renderedBefore = rendered();
        waitFor(d -> rendered() >= renderedBefore + 2);
        Object optionLabelNow = ((JavascriptExecutor) driver).executeScript(
                "return fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.json())"
                        + ".then(g => g.items.find(i => i.name === arguments[1]).letters)",
                api("/processing-groups"), GROUP);
        String shownLabel = driver.findElement(By.cssSelector("#start-job option[value='" + GROUP + "']")).getText();
        assertThat(shownLabel).as("the form was not re-rendered (its label is the one of when it was typed into)")
                              .doesNotContain("(" + optionLabelNow + " letter"); // "(1 letter)", "(2 letters)"

        form = driver.findElement(By.id("start-job"));
        assertThat(form.findElement(By.name("processingGroup")).getAttribute("value")).isEqualTo("notifications");
        assertThat(form.findElement(By.name("causeType")).getAttribute("value")).isEqualTo("com.example.Boom");
        assertThat(form.findElement(By.name("batchSize")).getAttribute("value")).isEqualTo("2");
        assertThat(form.findElement(By.name("maxSequences")).getAttribute("value")).isEqualTo("5");
    }

    @Test
    void anExportIsDownloadedUnderTheApisFileNameWithWhatTheApiExports() throws Exception {
        String account = "lock-export-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 2);
        Path downloads = Files.createTempDirectory("axon-dlq-downloads");
        driver.executeCdpCommand("Browser.setDownloadBehavior",
                                 Map.of("behavior", "allow", "downloadPath", downloads.toString()));

        // Fetched by the page (the export button is no plain link any more): the download is the API's export
        open("#/groups/" + GROUP + "/letters?sequence=" + account);
        click(By.linkText("Export these (JSON)"));
        Path file = waitFor(d -> {
            try (var files = Files.list(downloads)) {
                return files.filter(f -> f.getFileName().toString().endsWith(".json")).findFirst().orElse(null);
            } catch (java.io.IOException e) {
                return null;
            }
        });
        assertThat(file.getFileName().toString()).matches("dead-letters-" + GROUP + "-\\d{8}T\\d{6}Z\\.json");
        waitFor(d -> d.findElement(By.id("notice")).getText().equals("Exported to " + file.getFileName()));
        HttpResponse<String> direct = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(api("/processing-groups/" + GROUP + "/export?sequence=" + account
                                                              + "&format=json")))
                           .header("Cookie", "JSESSIONID=" + driver.manage().getCookieNamed("JSESSIONID").getValue())
                           .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(direct.statusCode()).isEqualTo(200);
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(Files.readString(file))).hasSize(2).isEqualTo(json.readTree(direct.body()));
        assertThat(driver.findElement(By.id("error")).isDisplayed()).isFalse();
    }

    /**
     * The host's session ends (timeout, a logout in another tab): its form login answers the dashboard's requests with
     * a redirect to the login page. That page is no answer of the API: not read as one (a script error as the only
     * message), not saved as an export; the operator is told to sign in again.
     */
    @Test
    void anEndedSessionIsShownAsSuchAndTheLoginPageIsNeitherTakenForAnAnswerNorSavedAsAnExport() throws Exception {
        String account = "lock-session-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        Path downloads = Files.createTempDirectory("axon-dlq-downloads");
        driver.executeCdpCommand("Browser.setDownloadBehavior",
                                 Map.of("behavior", "allow", "downloadPath", downloads.toString()));
        open("#/groups/" + GROUP);
        waitFor(d -> d.findElement(DashboardBrowserTest.sequenceRow(account)));
        click(By.id("refresh-toggle"));
        waitFor(d -> "true".equals(d.findElement(By.id("refresh-toggle")).getAttribute("aria-pressed")));

        driver.manage().deleteCookieNamed("JSESSIONID");
        poison.cure(account);

        // a write
        click(By.cssSelector("#sequences tr[data-key='" + account + "'] [data-action='redeliver']"));
        assertThat(shownError()).contains("sign in again");
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(1);

        // a read
        click(By.cssSelector("#error button"));
        click(By.id("refresh-now"));
        assertThat(shownError()).contains("sign in again");

        // an export
        click(By.cssSelector("#error button"));
        click(By.linkText("Export JSON"));
        assertThat(shownError()).contains("sign in again");
        try (var files = Files.list(downloads)) {
            assertThat(files.toList()).as("nothing saved").isEmpty();
        }
    }

    /** The text of the error box once it is shown. */
    String shownError() {
        return waitFor(d -> {
            WebElement e = d.findElement(By.id("error"));
            return e.isDisplayed() ? e.getText() : null;
        });
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    String api(String path) {
        return "http://localhost:" + port + CONTEXT_PATH + BASE_PATH + path;
    }

    /** Logs in through the host's login form once, then opens the dashboard at {@code hash} (a fresh page load). */
    void open(String hash) {
        String dashboard = "http://localhost:" + port + CONTEXT_PATH + BASE_PATH + "/ui/";
        if (!loggedIn) {
            driver.get(dashboard);
            WebElement username = waitFor(d -> d.findElement(By.id("username")));
            username.sendKeys(OPERATOR);
            driver.findElement(By.id("password")).sendKeys(PASSWORD);
            driver.findElement(By.cssSelector("button[type=submit]")).click();
            waitFor(d -> !d.findElement(By.id("who")).getText().isEmpty());
            loggedIn = true;
        }
        driver.get("about:blank");
        driver.get(dashboard + hash);
        waitFor(d -> !d.findElement(By.id("who")).getText().isEmpty());
        waitFor(d -> d.findElement(By.id("view")).getAttribute("data-loaded") != null);
    }

    void go(String hash) {
        ((JavascriptExecutor) driver).executeScript("location.hash = arguments[0]", hash);
        waitFor(d -> hash.equals(d.findElement(By.id("view")).getAttribute("data-route")));
    }

    int rendered() {
        String loaded = driver.findElement(By.id("view")).getAttribute("data-loaded");
        return loaded == null ? 0 : Integer.parseInt(loaded);
    }

    void click(By by) {
        Browser.click(driver, by);
    }

    <T> T waitFor(Function<WebDriver, T> condition) {
        return Browser.waitFor(driver, condition);
    }
}
