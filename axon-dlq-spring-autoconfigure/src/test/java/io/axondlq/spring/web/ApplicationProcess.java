package io.axondlq.spring.web;

import io.axondlq.spring.web.testapp.DlqWebTestProcess;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The REST API test application ({@link DlqWebTestProcess}) in a JVM of its own, on a class path the test JVM's
 * minus the entries a test leaves out (a library the application must run without, which the test JVM cannot unload),
 * with the {@code dlqweb} profile, on a free port. Its output goes to {@code target/<name>.log}.
 */
final class ApplicationProcess implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final int port;
    private final Path log;
    private final Process process;

    private ApplicationProcess(int port, Path log, Process process) {
        this.port = port;
        this.log = log;
        this.process = process;
    }

    /**
     * Starts the application and waits until it answers on its port.
     *
     * @param leaveOut   class path entries (jar or directory paths) the application runs without
     * @param properties {@code name=value} pairs, as command-line properties
     */
    static ApplicationProcess start(String name, Predicate<String> leaveOut, String... properties) {
        List<String> classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                                       .filter(leaveOut.negate()).toList();
        try {
            Path dir = Files.createDirectories(Path.of("target", "application-processes"));
            Path argFile = dir.resolve(name + ".args");
            Files.writeString(argFile, "-cp\n\"" + String.join(File.pathSeparator, classPath)
                    .replace("\\", "\\\\") + "\"\n");
            Path log = dir.resolve(name + ".log");
            int port = freePort();
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Daxoniq.update-checker.disabled=true", "@" + argFile,
                    DlqWebTestProcess.class.getName(),
                    "--spring.profiles.active=dlqweb", "--server.port=" + port));
            for (String property : properties) {
                command.add("--" + property);
            }
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                                                         .start();
            ApplicationProcess application = new ApplicationProcess(port, log, process);
            application.awaitPort(Duration.ofSeconds(120));
            return application;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start " + name, e);
        }
    }

    private void awaitPort(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("The application exited with " + process.exitValue() + "; see "
                                                        + log.toAbsolutePath());
            }
            try {
                // any answer: the port may be bound (and connections queued) before the application serves
                HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/"))
                                     .timeout(Duration.ofSeconds(3)).GET().build(),
                          HttpResponse.BodyHandlers.discarding());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException(e);
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("The application did not listen within " + timeout + "; see "
                                                            + log.toAbsolutePath());
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new IllegalStateException(e);
            }
        }
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** Orderly shutdown, then a kill after a grace period. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
