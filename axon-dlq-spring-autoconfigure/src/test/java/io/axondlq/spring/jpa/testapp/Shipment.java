package io.axondlq.spring.jpa.testapp;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;

import java.util.UUID;

/**
 * An entity with a generated UUID id: Hibernate keeps it in the persistence context and inserts it only when it
 * flushes. {@code trackingCode} is NOT NULL, so a shipment without one fails when flushed.
 */
@Entity
public class Shipment {

    @Id
    @GeneratedValue(strategy = GenerationType.UUID)
    private UUID id;

    @Column(nullable = false)
    private String orderId;

    @Column(nullable = false)
    private String trackingCode;

    protected Shipment() {
    }

    public Shipment(String orderId, String trackingCode) {
        this.orderId = orderId;
        this.trackingCode = trackingCode;
    }

    public UUID getId() {
        return id;
    }

    public String getOrderId() {
        return orderId;
    }

    public String getTrackingCode() {
        return trackingCode;
    }

    public void setTrackingCode(String trackingCode) {
        this.trackingCode = trackingCode;
    }
}
