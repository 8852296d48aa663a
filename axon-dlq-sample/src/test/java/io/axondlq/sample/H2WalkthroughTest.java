package io.axondlq.sample;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The walkthrough on the default database: H2 in file mode, as {@code spring-boot:run} starts it. */
class H2WalkthroughTest extends WalkthroughTestBase {

    /** Removed by JUnit after the class, once the context is closed (the base class dirties it). */
    @TempDir
    static Path directory;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url",
                     () -> "jdbc:h2:file:" + directory.resolve("sample") + ";DB_CLOSE_ON_EXIT=FALSE");
    }

    /**
     * demo.sh itself, as the READMEs tell a new user to run it (curl and a POSIX shell), against this application:
     * every step must say what the READMEs promise. The base URL is given with a trailing slash, as a browser's
     * address bar shows it. Runs after the base class's tests, which leave account-balances without letters.
     */
    @Test
    @Order(6)
    void demoScriptWalksThroughEveryStepTheReadmeDescribes() throws IOException, InterruptedException {
        requireOnPath("sh");
        requireOnPath("curl");
        Path output = directory.resolve("demo.out");
        ProcessBuilder demo = new ProcessBuilder("sh", "demo.sh", "http://localhost:" + port + "/")
                .redirectErrorStream(true).redirectOutput(output.toFile());
        demo.environment().keySet().removeAll(java.util.List.of("BASE_URL", "ADMIN", "VIEWER"));
        demo.environment().put("TIMEOUT", "30");
        Process process = demo.start();
        boolean ended = process.waitFor(5, TimeUnit.MINUTES); // a hang guard, far above the script's own timeouts
        if (!ended) {
            process.destroyForcibly();
        }
        // without the terminal's colours, as a reader sees it
        String out = Files.readString(output, StandardCharsets.UTF_8).replaceAll("\u001B\\[[0-9;]*m", "");
        assertThat(ended).as(out).isTrue();
        assertThat(process.exitValue()).as(out).isZero();

        Matcher alice = Pattern.compile("ok: (alice-\\d+)'s sequence is parked in account-balances").matcher(out);
        assertThat(alice.find()).as(out).isTrue();
        String a = alice.group(1);
        assertThat(out).contains("Without credentials the fault switch answers 401, as viewer 403.")
                       .containsPattern("ok: bob-\\d+ is not held up: balance 125")
                       .contains("\"sequenceKey\":\"" + a + "\",\"size\":2")
                       .contains("payload:   {\"accountId\":\"" + a + "\",\"amount\":50}")
                       .contains("aggregate: {\"type\":\"Account\",\"identifier\":\"" + a + "\",\"sequenceNumber\":2}")
                       .contains("attempts:  3")
                       .contains("cause:     io.axondlq.sample.faults.InjectedFaultException: Injected permanent fault")
                       .contains("at io.axondlq.sample.projection.BalanceProjection.on(")
                       .contains("{\"accountId\":\"" + a + "\",\"owner\":\"" + a + "\",\"balance\":100,")
                       .contains("axon_dlq_letters{processingGroup=\"account-balances\"} 2.0")
                       .contains("axon_dlq_parked_total{processingGroup=\"account-balances\"}")
                       .contains("{\"status\":\"UP\",\"details\":{\"letters\":2,")
                       .contains("POST /dead-letters/retry-jobs as viewer answers 403")
                       .containsPattern("job ([0-9a-f-]{36}); the same request with the same key again returns job \\1\n")
                       .contains("\"state\":\"COMPLETED\"")
                       .contains("ok: balance of " + a + " is 120")
                       .containsPattern("ok: balance of carol-\\d+ is 101, with no dead letter")
                       .contains("axon_dlq_letters{processingGroup=\"account-balances\"} 0.0")
                       .doesNotContain("FAILED");
        // step 12: the queue is empty again
        assertThat(out.substring(out.indexOf("== 12."))).startsWith("== 12.")
                .contains("/dead-letters/processing-groups/account-balances/sequences\n{\"items\":[],\"nextCursor\":null}");
    }

    /** Skips where the tool is missing (a developer's machine), fails with CI=true, as the browser tests do. */
    private static void requireOnPath(String tool) throws IOException, InterruptedException {
        boolean found = new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
        if (!found && !"true".equalsIgnoreCase(System.getenv("CI"))) {
            Assumptions.abort("demo.sh needs " + tool + " on the PATH");
        }
        assertThat(found).as(tool + " on the PATH").isTrue();
    }
}
