package io.axondlq.spring.web.dashboard;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;

/**
 * A real headless Chromium driven by Selenium through Debian's {@code chromium} and {@code chromium-driver} packages
 * (nothing is downloaded: the driver and the browser are found on the PATH or at
 * {@code -Dwebdriver.chrome.driver} / {@code -Daxon.dlq.chromium}). Without them the browser tests are skipped with a
 * message naming the packages; with {@code CI=true} a missing browser fails the run instead.
 */
final class Browser {

    static final String MISSING = "The dashboard's browser tests need Chromium and its WebDriver: "
            + "apt-get install -y chromium chromium-driver (Debian packages chromium, chromium-driver)";

    private Browser() {
    }

    /** Skips (developer machine) or fails (CI) when Chromium or chromedriver is missing. */
    static void require() {
        if (chromium().isPresent() && chromedriver().isPresent()) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail(MISSING + " (CI=true: a missing browser fails instead of skipping)");
        }
        Assumptions.abort(MISSING);
    }

    static ChromeDriver start() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium().orElseThrow().toFile());
        // --no-sandbox: Chromium refuses to run as root (CI) with its sandbox.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                             "--window-size=1440,1000", "--lang=en-US", "--no-first-run",
                             "--disable-search-engine-choice-screen");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver().orElseThrow().toFile())
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    /** How long a test waits for the page: the application and the browser share two cores with the build. */
    static final Duration WAIT = Duration.ofSeconds(30);

    /**
     * Waits until {@code condition} gives a value other than {@code null} or {@code false}; an element replaced by an
     * auto-refresh between finding and reading it is looked up again.
     */
    static <T> T waitFor(WebDriver driver, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, WAIT, Duration.ofMillis(100))
                .ignoring(StaleElementReferenceException.class)
                .until(d -> {
                    T value = condition.apply(d);
                    return value instanceof Boolean b && !b ? null : value;
                });
    }

    /** Clicks once the element is shown and enabled, again when the auto-refresh replaced it meanwhile. */
    static void click(WebDriver driver, By by) {
        waitFor(driver, d -> {
            WebElement element = d.findElement(by);
            if (!element.isDisplayed() || !element.isEnabled()) {
                return null;
            }
            element.click();
            return true;
        });
    }

    /** Severe entries of the browser's console since the last call (reading drains the log). */
    static List<LogEntry> consoleErrors(ChromeDriver driver) {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                     .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                     .toList();
    }

    /** Saves a screenshot under the build folder ({@code target/dashboard-screenshots}); returns its path. */
    static Path screenshot(ChromeDriver driver, String name) {
        try {
            Path folder = buildDirectory().resolve("dashboard-screenshots");
            Files.createDirectories(folder);
            Path file = folder.resolve(name + ".png");
            Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
            // -Daxon.dlq.dashboard.docs=true: the README's screenshots of the main views, at docs/ of the repository.
            if (Boolean.getBoolean("axon.dlq.dashboard.docs") && name.startsWith("view-")) {
                Path docs = Path.of(System.getProperty("user.dir")).resolve("../docs").normalize();
                Files.createDirectories(docs);
                Files.copy(file, docs.resolve("dashboard-" + name.substring("view-".length()) + ".png"),
                           java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path buildDirectory() {
        try {
            // .../<build dir>/test-classes
            return Path.of(Browser.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Optional<Path> chromium() {
        String configured = System.getProperty("axon.dlq.chromium");
        if (configured != null) {
            return Optional.of(Path.of(configured)).filter(Files::isExecutable);
        }
        return onPath("chromium", "chromium-browser", "google-chrome");
    }

    static Optional<Path> chromedriver() {
        String configured = System.getProperty("webdriver.chrome.driver");
        if (configured != null) {
            return Optional.of(Path.of(configured)).filter(Files::isExecutable);
        }
        return onPath("chromedriver");
    }

    private static Optional<Path> onPath(String... names) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        return Arrays.stream(path.split(File.pathSeparator))
                     .flatMap(dir -> Arrays.stream(names).map(name -> Path.of(dir, name)))
                     .filter(Files::isExecutable)
                     .findFirst();
    }
}
