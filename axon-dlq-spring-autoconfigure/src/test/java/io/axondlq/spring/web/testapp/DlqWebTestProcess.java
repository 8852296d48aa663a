package io.axondlq.spring.web.testapp;

import org.springframework.boot.SpringApplication;

import java.io.IOException;

/**
 * {@link DlqWebTestApplication} as a JVM of its own, for tests that need a class path the test JVM cannot give them
 * (see {@code io.axondlq.spring.web.ApplicationProcess}). Exits when its parent, which holds its standard input, goes
 * away, even by {@code kill -9}.
 */
public final class DlqWebTestProcess {

    private DlqWebTestProcess() {
    }

    public static void main(String[] args) {
        Thread watcher = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // ignore input
                }
            } catch (IOException ignored) {
                // parent gone
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watcher");
        watcher.setDaemon(true);
        watcher.start();
        SpringApplication.run(DlqWebTestApplication.class, args);
    }
}
