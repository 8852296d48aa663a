package io.axondlq.spring.reliability;

import io.axondlq.spring.reliability.app.ReliabilityNodeApplication;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * Where the reliability suite puts what it measured: stdout (the surefire report's output file) and
 * {@code <build dir>/reliability/figures.txt}, next to the node logs.
 */
final class Figures {

    private Figures() {
    }

    /** {@code <build dir>/reliability}: the build directory is the parent of {@code test-classes}. */
    static Path directory() {
        try {
            Path testClasses = Path.of(ReliabilityNodeApplication.class.getProtectionDomain().getCodeSource()
                                                                       .getLocation().toURI());
            return testClasses.getParent().resolve("reliability");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static synchronized void print(String line) {
        String stamped = "[reliability] " + line;
        System.out.println(stamped);
        try {
            Files.createDirectories(directory());
            Files.writeString(directory().resolve("figures.txt"), Instant.now() + " " + stamped + "\n",
                              StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.out.println("[reliability] (could not write figures.txt: " + e + ")");
        }
    }
}
