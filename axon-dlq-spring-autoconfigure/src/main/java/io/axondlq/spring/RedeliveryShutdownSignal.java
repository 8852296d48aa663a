package io.axondlq.spring;

import org.springframework.boot.web.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Tells the module's redeliverer (so every sequence redelivery: REST, the Java API, the application's own code) that
 * the application is closing, as its {@code redeliveryStopSignal}: stopped just after the web server's graceful
 * shutdown phase (so after the requests in flight had their grace period, or right away without a web server or
 * graceful shutdown) and before the web server stops, which interrupts the requests still running, and before Axon
 * stops the processors and the context closes the beans the handlers use. An application that defines its own
 * {@code DeadLetteringEventProcessingModule} bean gives its builder {@code redeliveryStopSignal(signal::closing)}.
 */
public final class RedeliveryShutdownSignal implements SmartLifecycle {

    /** Right after the graceful shutdown (phases stop from the highest down), before the web server stops. */
    static final int PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE - 1;

    private volatile boolean running;
    /** Not before the first start: a redelivery while the context starts is no redelivery during a shutdown. */
    private volatile boolean closing;

    /** True from the stop until the context's lifecycle starts again. */
    public boolean closing() {
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
