package io.axondlq.spring.jpa.testapp;

import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;

/**
 * A Spring Data JPA projection (group {@value #GROUP}): saves an {@link OrderLine} (inserted at once) and a
 * {@link Shipment} (inserted at flush), then fails for orders with a {@link Faults fault}.
 */
@ProcessingGroup(OrderProjection.GROUP)
public class OrderProjection {

    public static final String GROUP = "orders";

    private final OrderLineRepository lines;
    private final ShipmentRepository shipments;
    private final Faults faults;
    private final HandlerLog log;
    private final BatchGate gate;

    public OrderProjection(OrderLineRepository lines, ShipmentRepository shipments, Faults faults, HandlerLog log,
                           BatchGate gate) {
        this.lines = lines;
        this.shipments = shipments;
        this.faults = faults;
        this.log = log;
        this.gate = gate;
    }

    @EventHandler
    public void on(OrderPlaced event) throws InterruptedException {
        String orderId = event.orderId();
        log.record(orderId);
        gate.pass(orderId);
        lines.save(new OrderLine(orderId));
        shipments.save(new Shipment(orderId, "T-" + orderId));
        Faults.Fault fault = faults.of(orderId);
        if (fault == Faults.Fault.EXCEPTION) {
            throw new IllegalStateException("order " + orderId + " is poisoned");
        }
        if (fault == Faults.Fault.DATABASE_ERROR) {
            shipments.saveAndFlush(new Shipment(orderId, null));
        }
        if (fault == Faults.Fault.FLUSH_ERROR) {
            shipments.save(new Shipment(orderId + "-2", "T-" + orderId));
        }
    }
}
