package io.axondlq.jdbc;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key of an identifier is the same in every JVM, checked in other JVMs (I2). {@code Map.of} and {@code Set.of}
 * iterate in an order drawn per JVM (ImmutableCollections' SALT): a reviewer's four JVMs printed
 * {@code Map.of("tenant","t1","account","a7","region","eu")} four ways. Keyed by that text, a parked sequence got
 * another key after a restart or on another node, and its later events were handled live ahead of its letters.
 */
class SequenceKeysAcrossJvmsTest {

    /** How many other JVMs: the chance that all of them drew this JVM's order of three entries is small. */
    private static final int JVMS = 4;

    public record Account(String tenant, Map<String, String> attributes) {
    }

    /** The identifiers compared: each JVM prints their keys, one a line. */
    static List<Object> identifiers() {
        return List.of(Map.of("tenant", "t1", "account", "a7", "region", "eu"),
                       Set.of("tenant", "account", "region", "currency"),
                       new Account("t1", Map.of("account", "a7", "region", "eu", "currency", "EUR")),
                       List.of("t1", Map.of("account", "a7", "region", "eu")));
    }

    /** Run in the other JVMs. */
    public static final class PrintKeys {

        public static void main(String[] args) {
            identifiers().forEach(id -> System.out.println(SequenceKeys.encode(id)));
        }
    }

    @Test
    void everyJvmComputesTheSameKeys() throws Exception {
        List<String> here = identifiers().stream().map(SequenceKeys::encode).toList();
        for (int jvm = 0; jvm < JVMS; jvm++) {
            assertThat(keysInAnotherJvm(jvm)).as("keys computed in JVM %d", jvm).isEqualTo(here);
        }
    }

    /** On the test JVM's class path (surefire's may be a manifest-only jar, which {@code -cp} reads as well). */
    private static List<String> keysInAnotherJvm(int jvm) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(Path.of("target", "sequence-keys-jvms"));
        Path out = dir.resolve("jvm-" + jvm + ".out");
        Path argFile = dir.resolve("classpath.args");
        // An argument file: the class path may exceed a command line's length.
        Files.writeString(argFile, "-cp\n\"" + System.getProperty("java.class.path").replace("\\", "\\\\") + "\"\n");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "@" + argFile,
                PrintKeys.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("JVM " + jvm + " did not exit within 60 s");
        }
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("exit of JVM %d: %s", jvm, lines).isZero();
        return lines;
    }
}
