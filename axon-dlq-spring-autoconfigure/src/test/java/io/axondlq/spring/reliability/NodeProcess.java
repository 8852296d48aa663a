package io.axondlq.spring.reliability;

import io.axondlq.spring.reliability.app.ReliabilityNodeApplication;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * One application node as a separate JVM: the test JVM's own {@code java} and class path, started with
 * {@link ProcessBuilder}, killed with {@link Process#destroyForcibly()} (SIGKILL on Linux: no shutdown hooks, no
 * orderly release of anything). Each start is an "incarnation" with its own node id ({@code A#2}) and log file.
 */
final class NodeProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    final int port;
    private final Path logDir;
    private final List<String> arguments;
    private Process process;
    /** Process id of every incarnation: Axon's token store names a claim's owner {@code <pid>@<host>}. */
    private final List<Long> pids = new CopyOnWriteArrayList<>();
    private int incarnation;
    private int kills;

    NodeProcess(String name, int port, Path logDir, List<String> arguments) {
        this.name = name;
        this.port = port;
        this.logDir = logDir;
        this.arguments = List.copyOf(arguments);
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("node " + name + " is running");
        }
        incarnation++;
        try {
            Files.createDirectories(logDir);
            Path argFile = logDir.resolve("classpath-" + name + ".args");
            Files.writeString(argFile, "-cp\n" + quote(classPath()) + "\n");
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx384m", "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Dreliability.watch-stdin=true", "-Daxoniq.update-checker.disabled=true",
                    "@" + argFile,
                    ReliabilityNodeApplication.class.getName(),
                    "--server.port=" + port,
                    "--reliability.node-id=" + nodeId()));
            command.addAll(arguments);
            Path log = logDir.resolve("node-" + name + "-" + incarnation + ".log");
            process = new ProcessBuilder(command).redirectErrorStream(true)
                                                 .redirectOutput(log.toFile())
                                                 .start();
            pids.add(process.pid());
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start node " + name, e);
        }
    }

    String nodeId() {
        return name + "#" + incarnation;
    }

    /** Whether a token claim's owner ({@code <pid>@<host>}, Axon's default) is any incarnation of this node. */
    boolean anyIncarnationOwns(String owner) {
        return owner != null && pids.stream().anyMatch(pid -> owner.startsWith(pid + "@"));
    }

    /** Whether a token claim's owner is the running incarnation of this node. */
    synchronized boolean owns(String owner) {
        return owner != null && process != null && process.isAlive() && owner.startsWith(process.pid() + "@");
    }

    int incarnation() {
        return incarnation;
    }

    int kills() {
        return kills;
    }

    /** kill -9. */
    synchronized void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("node " + nodeId() + " survived SIGKILL");
        }
        kills++;
    }

    /** Orderly shutdown (SIGTERM), then SIGKILL after a grace period. */
    synchronized void stop() {
        if (process == null || !process.isAlive()) {
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

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    boolean healthy() {
        if (!alive()) {
            return false;
        }
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/actuator/health"))
                               .timeout(Duration.ofSeconds(3)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    void awaitHealthy(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!healthy()) {
            if (!alive()) {
                throw new IllegalStateException("node " + nodeId() + " exited with " + process.exitValue()
                                                        + "; see " + logDir.resolve(
                        "node-" + name + "-" + incarnation + ".log"));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("node " + nodeId() + " not healthy after " + timeout);
            }
            Thread.sleep(200);
        }
    }

    private static String classPath() {
        String classPath = System.getProperty("java.class.path");
        String appLocation = ReliabilityNodeApplication.class.getProtectionDomain().getCodeSource().getLocation()
                                                             .getPath();
        if (!classPath.contains(Path.of(appLocation).toString())) {
            throw new IllegalStateException("java.class.path does not hold the test classes (" + appLocation
                                                    + "); it is: " + classPath);
        }
        return classPath;
    }

    private static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    @Override
    public String toString() {
        return nodeId() + "@" + port;
    }
}
