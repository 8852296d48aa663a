package io.axondlq.spring.reliability.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Holds a node inside an operator action so that the crash test can kill it there ({@code reliability.freeze-at =
 * <point>:<n>}): the n-th time the action reaches {@code point}, the freezer writes the point's name to
 * {@code reliability.freeze-marker} (the node's signal that it is inside the action, with its transaction open) and
 * blocks that thread until the process dies.
 */
public final class ActionFreezer {

    private static final Logger logger = LoggerFactory.getLogger(ActionFreezer.class);

    private final String point;
    private final int occurrence;
    private final Path marker;
    private final AtomicInteger reached = new AtomicInteger();

    public ActionFreezer(String spec, Path marker) {
        int colon = spec.lastIndexOf(':');
        this.point = colon < 0 ? spec : spec.substring(0, colon);
        this.occurrence = colon < 0 ? 1 : Integer.parseInt(spec.substring(colon + 1));
        this.marker = marker;
    }

    public void reached(String point) {
        if (!this.point.equals(point) || reached.incrementAndGet() != occurrence) {
            return;
        }
        logger.warn("FROZEN inside {} (#{}): waiting to be killed", point, occurrence);
        try {
            Files.writeString(marker, point + ":" + occurrence);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                // Only the kill ends this.
            }
        }
    }
}
