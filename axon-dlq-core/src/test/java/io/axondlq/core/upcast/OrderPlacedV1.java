package io.axondlq.core.upcast;

import org.axonframework.serialization.Revision;

/** The event as the first release wrote it; the second release no longer has this class. */
@Revision("1")
public class OrderPlacedV1 {

    public String orderId;
    public int amount;

    public OrderPlacedV1() {
    }

    public OrderPlacedV1(String orderId, int amount) {
        this.orderId = orderId;
        this.amount = amount;
    }
}
