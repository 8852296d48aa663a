package io.axondlq.spring.web.dashboard;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.SequenceClaim;
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
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chromium.ChromiumNetworkConditions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.Select;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.BufferOverflowException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real headless Chromium against the running test application (H2, a pooled processor whose
 * {@code ledger} handler fails for poisoned accounts): an operator finds, understands and repairs a poisoned
 * aggregate, runs and stops a retry job, erases a group only after typing its name; a viewer sees no write control
 * and a forced write is refused. Each test saves a screenshot under {@code target/dashboard-screenshots} and fails on
 * any error in the browser's console.
 */
@SpringBootTest(classes = {DlqWebTestApplication.class, BrowserUsers.class},
                webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("dlqweb")
@ExtendWith(ChromiumAvailable.class)
class DashboardBrowserTest {

    static final String GROUP = LedgerProjection.GROUP;

    private static ChromeDriver driver;

    @LocalServerPort
    int port;
    @Autowired
    Poison poison;
    @Autowired
    DlqWebTestApplication.Accounts accounts;
    @Autowired
    DeadLetterStore store;
    @Autowired
    JdbcTemplate jdbc;

    private String user;
    private String testName;
    /** Console errors a test provokes on purpose (e.g. the 404 behind an error message), by substring. */
    private final List<String> expectedConsoleErrors = new ArrayList<>();
    /** Console errors read while switching users, checked with the rest at the end of the test. */
    private final List<LogEntry> earlierConsoleErrors = new ArrayList<>();

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
        user = null;
        driver.manage().deleteAllCookies();
    }

    @AfterEach
    void screenshotAndConsole() {
        Browser.screenshot(driver, getClass().getSimpleName() + "-" + testName);
        List<LogEntry> all = new ArrayList<>(earlierConsoleErrors);
        all.addAll(Browser.consoleErrors(driver));
        List<LogEntry> errors = all.stream()
                                       .filter(e -> expectedConsoleErrors.stream()
                                                                         .noneMatch(x -> e.getMessage().contains(x)))
                                       .toList();
        assertThat(errors).as("errors in the browser console").isEmpty();
    }

    @Test
    void anOperatorFindsUnderstandsAndRepairsAPoisonedAggregate() {
        String account = "ui-poisoned-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 3);

        // Overview: the group with its letters and the hourly chart
        open(BrowserUsers.OPERATOR, "#/");
        // (read inside waitFor: an auto-refresh may replace the table between finding and reading it)
        long[] totals = waitFor(d -> {
            List<WebElement> cells = d.findElements(By.cssSelector("#groups tr[data-key='" + GROUP + "'] td"));
            if (cells.size() < 3) {
                return null;
            }
            return new long[]{Long.parseLong(cells.get(1).getText()), Long.parseLong(cells.get(2).getText())};
        });
        assertThat(totals[0]).as("letters of the group").isGreaterThanOrEqualTo(3);
        assertThat(totals[1]).as("parked sequences of the group").isGreaterThanOrEqualTo(1);
        long[] chart = waitFor(d -> {
            List<WebElement> bars = d.findElements(By.cssSelector(".chart rect.bar"));
            if (bars.isEmpty()) {
                return null;
            }
            return new long[]{bars.size(),
                    bars.stream().mapToLong(bar -> Long.parseLong(bar.getAttribute("data-letters"))).sum()};
        });
        assertThat(chart[0]).as("hourly bars").isEqualTo(24);
        assertThat(chart[1]).as("letters in the chart").isGreaterThanOrEqualTo(3);
        Browser.screenshot(driver, "view-overview");

        // Keyboard: the group link opens with Enter
        press(By.cssSelector("#groups tr[data-key='" + GROUP + "'] a.group-link"), Keys.ENTER);
        waitFor(d -> d.getCurrentUrl().endsWith("#/groups/" + GROUP));
        long failing = waitFor(d -> Long.parseLong(d.findElement(
                By.cssSelector("#failure-groups tr[data-key='java.lang.IllegalStateException'] td:nth-child(2)"))
                                                           .getText()));
        assertThat(failing).isGreaterThanOrEqualTo(1);
        assertThat(driver.findElements(By.cssSelector("#failure-groups tr[data-key='java.lang.IllegalStateException'] "
                                                              + "[data-action='retry-failure-group']"))).hasSize(1);
        String size = waitFor(d -> d.findElement(sequenceRow(account)).findElements(By.tagName("td")).get(1).getText());
        assertThat(size).isEqualTo("3");
        Browser.screenshot(driver, "view-group");

        // Letters of the sequence, oldest first, then the detail of the failed one
        go("#/groups/" + GROUP + "/letters?sequence=" + account);
        waitFor(d -> d.findElements(By.cssSelector("#letters tbody tr")).size() == 3);
        Browser.screenshot(driver, "view-letters");
        click(By.cssSelector("#letters tbody tr:first-child a.letter-link"));
        WebElement causeType = waitFor(d -> d.findElement(By.id("cause-type")));
        assertThat(causeType.getText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(driver.findElement(By.id("cause-message")).getText()).contains("poisoned account " + account);
        assertThat(driver.findElement(By.id("payload")).getText()).contains("\"accountId\": \"" + account + "\"")
                                                                 .contains("\"amount\": 100");
        assertThat(driver.findElement(By.id("metadata")).getText()).contains("\"tenant\": \"acme\"");
        assertThat(driver.findElement(By.id("attempts")).getText()).isEqualTo("2");
        assertThat(driver.findElements(By.cssSelector("#attempt-history li"))).isNotEmpty()
                .allSatisfy(li -> assertThat(li.getText()).contains("java.lang.IllegalStateException"));
        assertThat(driver.findElement(By.id("stack-trace")).getAttribute("textContent"))
                .contains("LedgerProjection");
        Browser.screenshot(driver, "view-letter");

        // The operator fixes the fault and redelivers from the page: the sequence disappears
        poison.cure(account);
        click(By.id("redeliver-sequence"));
        waitFor(d -> d.getCurrentUrl().endsWith("#/groups/" + GROUP));
        waitFor(d -> d.findElement(By.id("notice")).getText().contains("DRAINED, 3 redelivered, 0 remaining"));
        waitFor(d -> d.findElements(By.cssSelector("#sequences, #failure-groups")).size() >= 1
                && d.findElements(sequenceRow(account)).isEmpty());
        assertThat(store.sequenceSize(GROUP, account)).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM ledger_entry WHERE account_id = ?", Long.class,
                                       account)).isEqualTo(3);

        // The audit log has the redelivery
        go("#/audit");
        waitFor(d -> d.findElement(By.id("audit")).getText().contains(account));
        Browser.screenshot(driver, "view-audit");

        // Filtering by action asks the server (the parameters go to GET /audit), keeps them in the hash, and shows
        // exactly the server's entries of that action, not a filtered slice of the page loaded before.
        pauseRefresh();
        WebElement filters = waitFor(d -> d.findElement(By.id("audit-filters")));
        new Select(filters.findElement(By.name("action"))).selectByValue("redeliver-sequence");
        type(filters.findElement(By.name("processingGroup")), GROUP);
        filters.findElement(By.cssSelector("button[type=submit]")).click();
        String filteredHash = "#/audit?action=redeliver-sequence&processingGroup=" + GROUP;
        waitFor(d -> filteredHash.equals(d.findElement(By.id("view")).getAttribute("data-route")));
        waitFor(d -> d.findElement(By.id("audit")).getText().contains(account));
        long expected = Math.min(200, jdbc.queryForObject(
                "SELECT COUNT(*) FROM axon_dlq_audit WHERE action = 'redeliver-sequence' AND processing_group = ?",
                Long.class, GROUP));
        List<String> actions = waitFor(d -> {
            List<String> shown = d.findElements(By.cssSelector("#audit tbody tr td:nth-child(3)")).stream()
                                  .map(WebElement::getText).toList();
            return shown.size() == expected ? shown : null;
        });
        assertThat(actions).isNotEmpty().allSatisfy(a -> assertThat(a).isEqualTo("redeliver-sequence"));
        Object requested = ((JavascriptExecutor) driver).executeScript(
                "return performance.getEntriesByType('resource').map(e => e.name)"
                        + ".filter(n => n.includes('/audit?')).join(' ')");
        assertThat(String.valueOf(requested)).contains("/dead-letters/audit?action=redeliver-sequence&processingGroup="
                                                               + GROUP + "&limit=200");
        // A deep link opens with the same filters filled in.
        open(BrowserUsers.OPERATOR, filteredHash);
        WebElement reopened = waitFor(d -> d.findElement(By.id("audit-filters")));
        assertThat(new Select(reopened.findElement(By.name("action"))).getFirstSelectedOption().getAttribute("value"))
                .isEqualTo("redeliver-sequence");
        assertThat(reopened.findElement(By.name("processingGroup")).getAttribute("value")).isEqualTo(GROUP);
        waitFor(d -> d.findElement(By.id("audit")).getText().contains(account));
        Browser.screenshot(driver, "view-audit-filtered");
    }

    @Test
    void aRetryJobStartedFromThePageShowsProgressAndCanBeStopped() {
        String cause = ConcurrentModificationException.class.getName();
        for (int i = 0; i < 4; i++) {
            String account = "ui-job-" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            poison.poison(account, id -> new ConcurrentModificationException("still broken " + id));
            accounts.creditAndAwaitLetters(account, 1);
        }

        open(BrowserUsers.OPERATOR, "#/jobs?group=" + GROUP + "&causeType=" + cause);
        WebElement form = waitFor(d -> d.findElement(By.id("start-job")));
        assertThat(form.findElement(By.name("processingGroup")).getAttribute("value")).isEqualTo(GROUP);
        assertThat(form.findElement(By.name("causeType")).getAttribute("value")).isEqualTo(cause);
        type(form.findElement(By.name("batchSize")), "1");
        type(form.findElement(By.name("cooldown")), "2");
        type(form.findElement(By.name("maxSequences")), "100");
        form.findElement(By.cssSelector("button[type=submit]")).click();

        waitFor(d -> d.getCurrentUrl().contains("#/jobs/"));
        waitFor(d -> d.findElement(By.id("job-state")).getText().equals("RUNNING"));
        // Live progress: the page refreshes by itself until at least one sequence is done
        int done = waitFor(d -> {
            int n = doneOf(d.findElement(By.cssSelector("#job-progress .job-counts")).getText(), 4);
            return n >= 1 ? n : null;
        });
        assertThat(done).isBetween(1, 3);
        Browser.screenshot(driver, "view-retry-job");

        click(By.id("stop-job"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        click(By.id("confirm-ok"));
        waitFor(d -> d.findElement(By.id("job-state")).getText().equals("STOPPED"));
        int finished = doneOf(driver.findElement(By.cssSelector("#job-progress .job-counts")).getText(), 4);
        assertThat(finished).as("stopped before the last sequence").isLessThan(4);

        go("#/jobs");
        waitFor(d -> d.findElement(By.id("jobs")).getText().contains("STOPPED"));
    }

    @Test
    void aViewerSeesNoWriteControlAndAForcedWriteIsRefused() throws Exception {
        String account = "ui-viewer-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        StoredLetter letter = store.letters(GROUP, LetterFilter.none().withSequenceKey(account), 10, null)
                                   .items().get(0);

        open(BrowserUsers.VIEWER, "#/letters/" + letter.id());
        waitFor(d -> d.findElement(By.id("cause-type")));
        assertThat(driver.findElement(By.id("who")).getText()).isEqualTo("viewer (read only)");
        assertThat(viewButtons()).as("write controls on the letter").isEmpty();

        go("#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        assertThat(viewButtons()).as("write controls on the group").isEmpty();
        assertThat(driver.findElements(By.id("erase-group"))).isEmpty();

        go("#/jobs");
        waitFor(d -> d.findElement(By.cssSelector("#jobs, main .empty")));
        assertThat(driver.findElements(By.id("start-job"))).isEmpty();
        assertThat(viewButtons()).isEmpty();

        // What the page hides, the API refuses: the viewer's own request, as the page would send it
        HttpResponse<String> forced = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base() + "/dead-letters/letters/" + letter.id()
                                                          + "/redeliver-sequence"))
                           .header("Cookie", BrowserUsers.COOKIE + "=" + BrowserUsers.VIEWER)
                           .header("Content-Type", "application/json")
                           .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(forced.statusCode()).isEqualTo(403);
        assertThat(forced.body()).contains("DLQ_ADMIN");
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(1);
    }

    @Test
    void erasingAGroupAsksForItsNameTyped() {
        String account = "ui-erase-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 2);

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        pauseRefresh();
        click(By.id("erase-group"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        WebElement ok = driver.findElement(By.id("confirm-ok"));
        WebElement typed = driver.findElement(By.id("confirm-typed"));
        assertThat(ok.isEnabled()).isFalse();
        typed.sendKeys(GROUP.substring(0, GROUP.length() - 1));
        assertThat(ok.isEnabled()).isFalse();
        // Escape cancels: nothing erased
        typed.sendKeys(Keys.ESCAPE);
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") == null);
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(2);

        click(By.id("erase-group"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        typed = driver.findElement(By.id("confirm-typed"));
        assertThat(typed.getAttribute("value")).isEmpty();
        typed.sendKeys(GROUP.substring(0, GROUP.length() - 1));
        assertThat(driver.findElement(By.id("confirm-ok")).isEnabled()).isFalse();
        typed.sendKeys(GROUP.substring(GROUP.length() - 1));
        assertThat(driver.findElement(By.id("confirm-ok")).isEnabled()).isTrue();
        Browser.screenshot(driver, "erase-confirmation");
        click(By.id("confirm-ok"));
        waitFor(d -> d.findElement(By.id("notice")).getText().startsWith("Erased"));
        waitFor(d -> d.findElements(sequenceRow(account)).isEmpty());
        assertThat(store.sequenceSize(GROUP, account)).isZero();
    }

    /**
     * An operator who types the group name and presses Enter means Confirm: Enter erases once the name is right and
     * does nothing while it is wrong; it never closes the dialog as if Cancel had been chosen, without a word.
     */
    @Test
    void enterInTheTypedConfirmationConfirmsOnceTheNameIsRightAndNeverCancelsSilently() {
        String account = "ui-enter-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        pauseRefresh();
        click(By.id("erase-group"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        WebElement typed = driver.findElement(By.id("confirm-typed"));
        typed.sendKeys(GROUP.substring(0, GROUP.length() - 1), Keys.ENTER);
        assertThat(driver.findElement(By.id("confirm")).getAttribute("open")).as("wrong name: the dialog stays open")
                                                                            .isNotNull();
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(1);

        typed.sendKeys(GROUP.substring(GROUP.length() - 1), Keys.ENTER);
        waitFor(d -> d.findElement(By.id("notice")).getText().startsWith("Erased"));
        assertThat(driver.findElement(By.id("confirm")).getAttribute("open")).isNull();
        assertThat(store.sequenceSize(GROUP, account)).isZero();
    }

    /**
     * A link whose path cannot be decoded (a stray {@code %}, typed or pasted by hand) names no page: it is shown as
     * not found, not as a page stuck at "Loading…" with a script error at every refresh.
     */
    @Test
    void aLinkThatCannotBeDecodedIsNotFoundRatherThanLoadingForever() {
        open(BrowserUsers.OPERATOR, "#/groups/50%");
        waitFor(d -> d.findElement(By.cssSelector("main h2")).getText().equals("Not found"));
        go("#/");
        waitFor(d -> d.findElement(By.id("groups")));
    }

    /**
     * Evicting a failure group while another operator (or a retry job) removes one of its sequences: that sequence is
     * gone as asked, the others are evicted all the same, and the page says what happened and shows the group as it
     * is now. Not an error about a letter that "does not exist" that stops half-way and leaves the rest.
     */
    @Test
    void evictingAFailureGroupGoesOnPastASequenceRemovedMeanwhile() {
        String cause = BufferOverflowException.class.getName();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String key = "ui-gone-" + i + "-" + UUID.randomUUID().toString().substring(0, 8);
            poison.poison(key, id -> new BufferOverflowException());
            accounts.creditAndAwaitLetters(key, 1);
            keys.add(key);
        }
        UUID removedMeanwhile = store.letters(GROUP, LetterFilter.none().withSequenceKey(keys.get(1)), 1, null)
                                     .items().get(0).id();
        // The browser logs the 404 of the page's own request for that sequence; the page handles it.
        expectedConsoleErrors.add("/dead-letters/letters/" + removedMeanwhile + "/sequence");

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        By row = By.cssSelector("#failure-groups tr[data-key='" + cause + "']");
        waitFor(d -> d.findElement(row));
        pauseRefresh();
        // The other operator's eviction, a real request to the API, lands between the page's listing of the failure
        // group and its own evictions: sent just before the page's first one.
        ((JavascriptExecutor) driver).executeScript(
                "const other = arguments[0]; const send = window.fetch; let sent = false;"
                        + "window.fetch = async (url, init) => {"
                        + "  if (!sent && init && init.method === 'DELETE') {"
                        + "    sent = true;"
                        + "    const r = await send(url.replace(/\\/letters\\/[^/]+\\/sequence$/,"
                        + "                                     '/letters/' + other + '/sequence'), init);"
                        + "    if (!r.ok) { throw new Error('the other operator was refused: ' + r.status); }"
                        + "  }"
                        + "  return send(url, init);"
                        + "};", removedMeanwhile.toString());
        click(By.cssSelector("#failure-groups tr[data-key='" + cause + "'] [data-action='evict-failure-group']"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        click(By.id("confirm-ok"));

        waitFor(d -> d.findElement(By.id("notice")).isDisplayed() || d.findElement(By.id("error")).isDisplayed());
        assertThat(driver.findElement(By.id("error")).getText()).as("error").isEmpty();
        assertThat(driver.findElement(By.id("notice")).getText())
                .isEqualTo("Evicted 2 sequences, 2 letters; 1 sequence already gone");
        assertThat(keys).allSatisfy(key -> assertThat(store.contains(GROUP, key)).as(key).isFalse());
        waitFor(d -> d.findElements(row).isEmpty());
    }

    /**
     * An action refused because its sequence is gone (another operator evicted it) shows the refusal and the group as
     * it is now, as a successful action does, also with auto-refresh paused: not the row that can no longer be acted on.
     */
    @Test
    void anActionOnASequenceRemovedMeanwhileShowsTheRefusalAndTheGroupAsItIsNow() throws Exception {
        String account = "ui-stale-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        StoredLetter letter = store.letters(GROUP, LetterFilter.none().withSequenceKey(account), 1, null)
                                   .items().get(0);
        // The browser logs the 404 of the page's redelivery; the page handles it.
        expectedConsoleErrors.add("/dead-letters/letters/" + letter.id() + "/redeliver-sequence");

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        pauseRefresh();
        // another operator evicts the sequence
        HttpResponse<String> evicted = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base() + "/dead-letters/letters/" + letter.id() + "/sequence"))
                           .header("Cookie", BrowserUsers.COOKIE + "=" + BrowserUsers.OPERATOR)
                           .header("Content-Type", "application/json")
                           .DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(evicted.statusCode()).isEqualTo(200);

        click(By.cssSelector("#sequences tr[data-key='" + account + "'] [data-action='redeliver']"));
        assertThat(shownError()).contains("does not exist");
        waitFor(d -> d.findElements(sequenceRow(account)).isEmpty());
        assertThat(shownError()).as("the refusal stays").contains("does not exist");
    }

    /**
     * The page's first keyboard stop, "Skip to content", moves the focus to the view the operator is on; it does not
     * navigate (its target, #view, is no route of the dashboard's: followed, it would show "Not found").
     */
    @Test
    void skipToContentMovesTheFocusToTheViewAndStaysOnThePage() {
        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(By.id("failure-groups")));
        // Reached backwards from the header (the view has the focus after a navigation)
        press(By.id("refresh-now"), Keys.chord(Keys.SHIFT, Keys.TAB), Keys.chord(Keys.SHIFT, Keys.TAB),
              Keys.chord(Keys.SHIFT, Keys.TAB), Keys.chord(Keys.SHIFT, Keys.TAB), Keys.chord(Keys.SHIFT, Keys.TAB),
              Keys.chord(Keys.SHIFT, Keys.TAB));
        WebElement skip = driver.switchTo().activeElement();
        assertThat(skip.getText()).isEqualTo("Skip to content");
        skip.sendKeys(Keys.ENTER);
        waitFor(d -> "view".equals(d.switchTo().activeElement().getAttribute("id")));
        assertThat(driver.getCurrentUrl()).endsWith("#/groups/" + GROUP);
        assertThat(driver.findElement(By.cssSelector("main h2")).getText()).isEqualTo("Processing group " + GROUP);
    }

    /**
     * A confirmation that asks for nothing typed (evicting a sequence) shows no "Type … to confirm" field: an empty
     * one would suggest that something must be typed, and what.
     */
    @Test
    void aConfirmationWithoutTypingShowsNoFieldToTypeInto() {
        String account = "ui-confirm-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        pauseRefresh();
        click(By.cssSelector("#sequences tr[data-key='" + account + "'] button.danger"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        assertThat(driver.findElement(By.id("confirm-title")).getText()).isEqualTo("Evict sequence");
        Browser.screenshot(driver, "evict-sequence-confirmation");
        assertThat(driver.findElement(By.id("confirm-typed")).isDisplayed()).as("field to type into").isFalse();
        assertThat(driver.findElement(By.id("confirm-typed-label")).isDisplayed()).as("its label").isFalse();
        click(By.id("confirm-cancel"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") == null);
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(1);
    }

    /**
     * A letter's page is not refreshed by itself (each read of a letter is audited): the header says so there, and
     * "auto-refresh every 3 s" only where it is true; nor does it offer to pause an auto-refresh it does not have.
     */
    @Test
    void theHeaderSaysWhereThePageIsNotRefreshedByItself() {
        String account = "ui-norefresh-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        StoredLetter letter = store.letters(GROUP, LetterFilter.none().withSequenceKey(account), 1, null)
                                   .items().get(0);

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        assertThat(driver.findElement(By.id("refresh-state")).getText()).isEqualTo("auto-refresh every 3 s");
        assertThat(driver.findElement(By.id("refresh-toggle")).isDisplayed()).as("pause button on the group").isTrue();

        go("#/letters/" + letter.id());
        waitFor(d -> d.findElement(By.id("cause-type")));
        assertThat(driver.findElement(By.id("refresh-state")).getText())
                .isEqualTo("this page is not refreshed by itself");
        assertThat(driver.findElement(By.id("refresh-toggle")).isDisplayed())
                .as("an auto-refresh control on a page that is not refreshed by itself ("
                            + driver.findElement(By.id("refresh-toggle")).getText() + ")")
                .isFalse();
        // Refreshing by hand is still offered.
        assertThat(driver.findElement(By.id("refresh-now")).isDisplayed()).isTrue();

        go("#/groups/" + GROUP);
        assertThat(driver.findElement(By.id("refresh-state")).getText()).isEqualTo("auto-refresh every 3 s");
        assertThat(driver.findElement(By.id("refresh-toggle")).isDisplayed()).as("pause button again").isTrue();
    }

    /**
     * The hour labels under the chart are shown whole, inside the chart (the last one, "06:00 PM" in en-US, included),
     * and in the page's own letter shapes: not stretched sideways with the bars, which fill whatever width the page
     * has.
     */
    @Test
    void theChartsHourLabelsLieWhollyInsideTheChartAndAreNotStretched() {
        open(BrowserUsers.OPERATOR, "#/");
        waitFor(d -> d.findElements(By.cssSelector(".chart rect.bar")).size() == 24);
        pauseRefresh();
        // Every text of the chart but its heading and the bars' tooltips: its width as drawn, and as the same text
        // in the same font is without any scaling (a canvas measures it).
        @SuppressWarnings("unchecked")
        List<java.util.Map<String, Object>> labels = (List<java.util.Map<String, Object>>) ((JavascriptExecutor) driver)
                .executeScript(
                        "const chart = document.querySelector('.chart svg').getBoundingClientRect();"
                                + "const ctx = document.createElement('canvas').getContext('2d');"
                                + "return [...document.querySelectorAll('.chart *')]"
                                + "  .filter(e => e.children.length === 0 && e.textContent.trim()"
                                + "    && !['TITLE', 'H3'].includes(e.tagName.toUpperCase()))"
                                + "  .map(e => { const r = e.getBoundingClientRect(); const cs = getComputedStyle(e);"
                                + "    ctx.font = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;"
                                + "    return {text: e.textContent, left: r.left - chart.left, right: r.right - chart.left,"
                                + "      chartWidth: chart.width, stretch: r.width / ctx.measureText(e.textContent).width};"
                                + "  });");
        Browser.screenshot(driver, "chart-labels");
        assertThat(labels).as("hour labels").hasSize(5);
        assertThat(labels).allSatisfy(label -> {
            double left = ((Number) label.get("left")).doubleValue();
            double right = ((Number) label.get("right")).doubleValue();
            double width = ((Number) label.get("chartWidth")).doubleValue();
            assertThat(left).as("left edge of " + label).isGreaterThanOrEqualTo(-0.5);
            assertThat(right).as("right edge of " + label).isLessThanOrEqualTo(width + 0.5);
            assertThat(((Number) label.get("stretch")).doubleValue()).as("drawn width / natural width of " + label)
                                                                     .isBetween(0.95, 1.05);
        });
    }

    /**
     * A page opened with user and password in its URL ({@code http://viewer:viewer@host/...}, as some bookmarks and
     * monitoring links have them) works: its requests go to the page's origin, which holds no credentials. Chromium
     * hides them from location.href but resolves relative URLs against the URL with them, and refuses to fetch that.
     */
    @Test
    void aPageOpenedWithCredentialsInItsUrlShowsItsData() {
        open(BrowserUsers.VIEWER, "#/");
        waitFor(d -> d.findElement(By.id("groups")));
        driver.get("about:blank");
        driver.get("http://viewer:viewer@localhost:" + port + "/dead-letters/ui/#/");
        waitFor(d -> d.findElement(By.id("view")).getAttribute("data-loaded"));
        WebElement error = driver.findElement(By.id("error"));
        assertThat(error.isDisplayed() ? error.getText() : "").as("error banner").isEmpty();
        assertThat(driver.findElement(By.id("who")).getText()).isEqualTo("viewer (read only)");
        assertThat(driver.findElements(By.cssSelector("#groups tr[data-key='" + GROUP + "']"))).hasSize(1);
        user = null; // the next open() starts from the application's plain origin
    }

    /** Counts read as English: "1 letter", "1 sequence", not "1 letters" or "letter(s)". */
    @Test
    void countsOfOneAreSingular() throws Exception {
        // The group holds exactly one letter: the rest of the tests' letters are erased first.
        HttpResponse<String> erased = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base() + "/dead-letters/processing-groups/" + GROUP
                                                          + "/letters?confirm=" + GROUP))
                           .header("Cookie", BrowserUsers.COOKIE + "=" + BrowserUsers.OPERATOR)
                           .header("Content-Type", "application/json")
                           .DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(erased.statusCode()).isEqualTo(200);
        String account = "ui-one-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);

        open(BrowserUsers.OPERATOR, "#/");
        waitFor(d -> "1".equals(d.findElement(By.id("total-letters")).getText()));
        assertThat(driver.findElements(By.cssSelector("#view .cards .stat")).stream().map(WebElement::getText)
                         .toList())
                .startsWith("1\ndead letter", "1\nparked sequence", "1\ngroup with letters");

        go("#/jobs");
        WebElement form = waitFor(d -> d.findElement(By.id("start-job")));
        assertThat(new Select(form.findElement(By.name("processingGroup"))).getOptions().stream()
                                                                           .map(WebElement::getText).toList())
                .contains(GROUP + " (1 letter)");

        go("#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        pauseRefresh();
        click(By.cssSelector("#sequences tr[data-key='" + account + "'] button.danger"));
        waitFor(d -> d.findElement(By.id("confirm")).getAttribute("open") != null);
        click(By.id("confirm-ok"));
        waitFor(d -> d.findElement(By.id("notice")).isDisplayed());
        assertThat(driver.findElement(By.id("notice")).getText()).isEqualTo("Evicted 1 letter of " + account);
    }

    /**
     * A redelivery refused because another node holds the sequence (409 sequence-claimed) says when to try again, as
     * the API's Retry-After does (the test application's lease, 10 s, bounds it), and the page shows who holds it.
     */
    @Test
    void aRefusalWithRetryAfterSaysWhenToTryAgain() {
        String account = "ui-claimed-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        // The browser logs the 409 of the page's redelivery; the page handles it.
        expectedConsoleErrors.add("/redeliver-sequence");

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(sequenceRow(account)));
        pauseRefresh();
        SequenceClaim claim = store.claim(GROUP, account, Duration.ofMinutes(1)).orElseThrow();
        try {
            click(By.cssSelector("#sequences tr[data-key='" + account + "'] [data-action='redeliver']"));
            assertThat(shownError()).contains("is claimed by [" + claim.owner() + "]")
                                    .endsWith("(retry after 10 s)Dismiss");
            String node = claim.owner().substring(0, claim.owner().indexOf('/'));
            waitFor(d -> d.findElement(sequenceRow(account)).getText().contains(node));
        } finally {
            store.release(claim);
        }
        assertThat(store.sequenceSize(GROUP, account)).isEqualTo(1);
    }

    @Test
    void apiErrorsAreShownAsTheirProblemDetail() {
        UUID unknown = UUID.randomUUID();
        // The browser logs the 404 of the request itself; the page handles it.
        expectedConsoleErrors.add("/dead-letters/letters/" + unknown);

        open(BrowserUsers.OPERATOR, "#/letters/" + unknown);

        WebElement error = waitFor(d -> {
            WebElement e = d.findElement(By.id("error"));
            return e.isDisplayed() ? e : null;
        });
        assertThat(error.getText()).contains("Dead letter [" + unknown + "] does not exist");
        assertThat(driver.findElement(By.id("view")).getText()).contains("could not be loaded");
    }

    /**
     * An auto-refresh that fails (the server cannot be reached) says so; once the server answers again and the page
     * is current, that error no longer claims otherwise. An action's error stays until the operator dismisses it.
     */
    @Test
    void theErrorOfAFailedRefreshGoesOnceTheServerAnswersAgainAndAnActionsErrorStays() {
        // Chromium logs the requests that fail while the browser is offline; the page shows the error itself.
        expectedConsoleErrors.add("net::ERR_INTERNET_DISCONNECTED");
        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(By.id("failure-groups")));
        ChromiumNetworkConditions offline = new ChromiumNetworkConditions();
        offline.setOffline(true);
        driver.setNetworkConditions(offline);
        try {
            assertThat(shownError()).contains("The server cannot be reached");
        } finally {
            driver.deleteNetworkConditions();
        }
        String account = "ui-outage-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        // the sequence enqueued after the outage is shown: this render had the server's answer
        waitFor(d -> d.findElement(sequenceRow(account)));
        assertThat(driver.findElement(By.id("error")).isDisplayed()).as("error of the failed refresh still shown")
                                                                   .isFalse();

        // An action's error (still poisoned: "Not done") is the operator's to read: refreshes leave it
        click(By.cssSelector("#sequences tr[data-key='" + account + "'] [data-action='redeliver']"));
        assertThat(shownError()).startsWith("Not done: Redelivery of " + account);
        int rendered = rendered();
        waitFor(d -> rendered() >= rendered + 2);
        assertThat(shownError()).startsWith("Not done: Redelivery of " + account);
    }

    @Test
    void everyViewFitsALaptopScreenAndALargeMonitor() {
        String account = "ui-layout-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 2);
        StoredLetter letter = store.letters(GROUP, LetterFilter.none().withSequenceKey(account), 10, null)
                                   .items().get(0);
        List<String> views = List.of("#/", "#/groups/" + GROUP, "#/groups/" + GROUP + "/letters",
                                     "#/letters/" + letter.id(), "#/jobs", "#/audit");
        try {
            for (int[] size : new int[][]{{1280, 720}, {2560, 1440}}) {
                driver.manage().window().setSize(new Dimension(size[0], size[1]));
                for (String view : views) {
                    open(BrowserUsers.OPERATOR, view);
                    waitFor(d -> !d.findElement(By.id("view")).getText().isBlank());
                    // No sideways scrolling of the page: wide tables scroll inside their own box, if at all.
                    Long overflow = (Long) ((JavascriptExecutor) driver).executeScript(
                            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
                    Browser.screenshot(driver, "layout-" + size[0] + "x" + size[1] + "-"
                            + view.replaceAll("[^A-Za-z0-9]+", "_"));
                    assertThat(overflow).as(view + " at " + size[0] + "x" + size[1] + ": horizontal overflow (px)")
                                        .isLessThanOrEqualTo(0L);
                }
            }
        } finally {
            driver.manage().window().setSize(new Dimension(1440, 1000));
        }
    }

    @Test
    void autoRefreshCanBePausedAndEmptyStatesSayWhatToDo() {
        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP + "/letters?payloadType=no.such.Type");
        waitFor(d -> d.findElement(By.cssSelector("main .empty")).getText()
                      .equals("No letter matches these filters."));

        open(BrowserUsers.OPERATOR, "#/groups/" + GROUP);
        waitFor(d -> d.findElement(By.id("failure-groups")));
        pauseRefresh();
        assertThat(driver.findElement(By.id("refresh-state")).getText()).isEqualTo("auto-refresh paused");
        String account = "ui-refresh-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, 1);
        sleep(Duration.ofSeconds(4)); // more than one refresh period
        assertThat(driver.findElements(sequenceRow(account))).as("paused: not refreshed").isEmpty();
        click(By.id("refresh-toggle"));
        waitFor(d -> d.findElement(sequenceRow(account)));
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    String base() {
        return "http://localhost:" + port;
    }

    /** Opens the dashboard at {@code hash} as {@code user} (a fresh page load). */
    void open(String asUser, String hash) {
        if (!asUser.equals(user)) {
            // The cookie can only be set on a page of the application's origin.
            driver.get(base() + "/actuator/health");
            driver.manage().deleteAllCookies();
            driver.manage().addCookie(new Cookie(BrowserUsers.COOKIE, asUser, "/"));
            user = asUser;
            driver.get("about:blank");
            // The JSON page of this helper step has no icon, so Chromium asks for /favicon.ico, which the test
            // application does not have: not the dashboard's error (it declares an empty icon). Anything else counts.
            Browser.consoleErrors(driver).stream().filter(e -> !e.getMessage().contains("/favicon.ico"))
                   .forEach(earlierConsoleErrors::add);
        }
        // A full page load each time (not a fragment navigation): fresh page state, auto-refresh on.
        driver.get("about:blank");
        driver.get(base() + "/dead-letters/ui/" + hash);
        waitFor(d -> !d.findElement(By.id("who")).getText().isEmpty());
    }

    /** Follows a link to {@code hash} within the page (history entry, no reload). */
    void go(String hash) {
        ((JavascriptExecutor) driver).executeScript("location.hash = arguments[0]", hash);
        waitFor(d -> hash.equals(d.findElement(By.id("view")).getAttribute("data-route")));
    }

    void pauseRefresh() {
        click(By.id("refresh-toggle"));
        waitFor(d -> "true".equals(d.findElement(By.id("refresh-toggle")).getAttribute("aria-pressed")));
    }

    /** The text of the error box once it is shown. */
    String shownError() {
        return waitFor(d -> {
            WebElement e = d.findElement(By.id("error"));
            return e.isDisplayed() ? e.getText() : null;
        });
    }

    /** How many renders the page has finished (auto-refreshes included). */
    int rendered() {
        String loaded = driver.findElement(By.id("view")).getAttribute("data-loaded");
        return loaded == null ? 0 : Integer.parseInt(loaded);
    }

    List<WebElement> viewButtons() {
        return driver.findElement(By.id("view")).findElements(By.cssSelector("button:not([type=submit])"));
    }

    static By sequenceRow(String key) {
        return By.cssSelector("#sequences tr[data-key='" + key + "']");
    }

    void click(By by) {
        Browser.click(driver, by);
    }

    /** Sends keys to an element, retrying when the auto-refresh replaced it. */
    void press(By by, CharSequence... keys) {
        waitFor(d -> {
            d.findElement(by).sendKeys(keys);
            return true;
        });
    }

    static void type(WebElement input, String text) {
        input.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        input.sendKeys(text);
    }

    /** "2 of 4 sequences ..." → 2. */
    static int doneOf(String counts, int total) {
        Matcher m = Pattern.compile("^(\\d+) of " + total + " sequences").matcher(counts);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    <T> T waitFor(Function<WebDriver, T> condition) {
        return Browser.waitFor(driver, condition);
    }

    static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
