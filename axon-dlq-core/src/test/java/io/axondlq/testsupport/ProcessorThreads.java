package io.axondlq.testsupport;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * Waits for the event processor threads of earlier tests to end. {@code Configuration.shutdown()} does not wait for
 * all of them: a tracking processor's work launcher may still start a worker while it shuts down, and that worker
 * can claim a token of the NEXT test's processor (same name, same token table) and store its own position there,
 * so the next test's processor skips events. Seen as "an event neither handled nor dead-lettered" in full builds.
 */
public final class ProcessorThreads {

    private static final Pattern PROCESSOR_THREAD =
            Pattern.compile("^(EventProcessor|WorkPackage|Coordinator)\\[.+\\]-\\d+$");

    private ProcessorThreads() {
    }

    /** The live threads of Axon's streaming processors (tracking workers, pooled coordinators and work packages). */
    public static List<String> alive() {
        return Thread.getAllStackTraces().keySet().stream()
                     .filter(ProcessorThreads::isLiveProcessorThread)
                     .map(Thread::getName)
                     .sorted()
                     .toList();
    }

    /** The stack traces of the live processor threads, for a failure message. */
    public static String dump() {
        StringBuilder out = new StringBuilder();
        Thread.getAllStackTraces().forEach((thread, stack) -> {
            if (isLiveProcessorThread(thread)) {
                out.append(thread.getName()).append(" (").append(thread.getState()).append(")\n");
                for (StackTraceElement frame : stack) {
                    out.append("    at ").append(frame).append('\n');
                }
            }
        });
        return out.toString();
    }

    private static boolean isLiveProcessorThread(Thread thread) {
        return thread.isAlive() && PROCESSOR_THREAD.matcher(thread.getName()).matches();
    }

    /** Blocks until no processor thread is alive; fails, naming them, if some outlive {@code timeout}. */
    public static void awaitNoneAlive(Duration timeout) {
        await("processor threads of earlier tests to end")
                .atMost(timeout)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> alive().isEmpty());
    }
}
