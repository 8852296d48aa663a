package io.axondlq.spring.web.testapp;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An event payload for XStream (Axon's default serializer), whose deserialization is observable: XStream calls
 * {@link #readResolve()} on every instance it reads back, which counts it in {@link #DESERIALIZED}, or fails when the
 * instance says so (a payload whose shape no longer fits its class, as far as the application can tell). A plain class:
 * XStream cannot read records back.
 */
public class XmlPayload {

    public static final AtomicInteger DESERIALIZED = new AtomicInteger();

    private final String orderId;
    private final boolean unreadable;

    public XmlPayload(String orderId, boolean unreadable) {
        this.orderId = orderId;
        this.unreadable = unreadable;
    }

    public String orderId() {
        return orderId;
    }

    private Object readResolve() {
        DESERIALIZED.incrementAndGet();
        if (unreadable) {
            throw new IllegalStateException("order " + orderId + " no longer fits its class");
        }
        return this;
    }
}
