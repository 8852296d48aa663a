package io.axondlq.core.upcast;

import org.axonframework.serialization.Revision;

/** The second release's event: renamed, with a field added. */
@Revision("2")
public class OrderPlacedV2 {

    public String orderId;
    public int amount;
    public String currency;

    public OrderPlacedV2() {
    }

    @Override
    public String toString() {
        return orderId + ":" + amount + ":" + currency;
    }
}
