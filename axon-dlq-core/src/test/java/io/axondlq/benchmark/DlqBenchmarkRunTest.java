package io.axondlq.benchmark;

import io.axondlq.testsupport.TestDatabase;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the benchmark harness. In the normal build it runs at the tiny scale so the harness cannot rot: it asserts
 * that every setup produced a result for every scenario (each run checks its own outcome), never a speed. The
 * {@code benchmark} Maven profile runs it at full scale and prints the table (see BENCHMARKS.md).
 */
class DlqBenchmarkRunTest {

    @Test
    void harnessRunsEveryScenarioForEverySetup() throws Exception {
        String table = DlqBenchmark.runFromProperties();
        System.out.println(table);
        Path out = Path.of(System.getProperty("axon.dlq.bench.output", "target/benchmarks.md"));
        Files.createDirectories(out.getParent());
        Files.writeString(out, table);
        if (!System.getProperty("axon.dlq.bench.scenarios", "").isBlank()) {
            // Some scenarios only (-Daxon.dlq.bench.scenarios=...): each run checked its own outcome; no row count.
            assertThat(table.lines().filter(l -> l.startsWith("| B"))).isNotEmpty();
            return;
        }
        // 3 handler variants x (B1 + B2) x 4 setups + B3 x 3 + B4 x 2 result rows, and 8 ratio rows.
        assertThat(table.lines().filter(l -> l.startsWith("| B")).count()).isGreaterThanOrEqualTo(29 + 8);
        assertThat(table).contains("statistics query median");
        // B6: one row for each of the two axon-dlq setups.
        assertThat(table.lines().filter(l -> l.startsWith("| c")).count()).isEqualTo(2);
    }

    @Test
    void tinyScaleOnH2Too() throws Exception {
        DlqBenchmark h2 = new DlqBenchmark(TestDatabase.H2, DlqBenchmark.TINY).runAll();
        assertThat(h2.results()).hasSize(29);
        assertThat(h2.results()).allMatch(r -> r.median() > 0);
    }
}
