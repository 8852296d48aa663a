package io.axondlq.core;

/**
 * A payload class whose static initializer fails: the first use throws {@link ExceptionInInitializerError}, every
 * later one {@link NoClassDefFoundError}. Letters are given its type to stand for an event whose class is present but
 * cannot be loaded.
 */
public final class BrokenPayload {

    private static final String VALUE = fail();

    public String value() {
        return VALUE;
    }

    private static String fail() {
        throw new IllegalStateException("static initializer of BrokenPayload fails");
    }
}
