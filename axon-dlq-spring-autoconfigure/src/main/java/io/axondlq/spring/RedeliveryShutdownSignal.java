package io.axondlq.spring;

import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Tells synchronous redeliveries (REST, the Java API) that the application is closing: stopped just after the web
 * server's graceful shutdown phase (so after the requests in flight had their grace period, or right away without a
 * web server or graceful shutdown) and before the web server stops, which interrupts the requests still running, and
 * before Axon stops the processors and the context closes the beans the handlers use.
 */
final class RedeliveryShutdownSignal implements SmartLifecycle {

    /** Right after the graceful shutdown (phases stop from the highest down), before the web server stops. */
    static final int PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE - 1;

    private volatile boolean running;
    /** Not before the first start: a redelivery while the context starts is no redelivery during a shutdown. */
    private volatile boolean closing;

    /** True from the stop until the context's lifecycle starts again. */
    boolean closing() {
        return closing;
    }

    @Override
    public void start() {
        closing = false;
        running = true;
    }

    @Override
    public void stop() {
        closing = true;
        running = false;
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
