package io.axondlq.spring.jpa.testapp;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;

import java.util.UUID;

/**
 * An entity with a generated UUID id: Hibernate keeps it in the persistence context and inserts it only when it
 * flushes. {@code trackingCode} is NOT NULL (checked by Hibernate when saving) and UNIQUE (checked only by the
 * database, so a duplicate fails when flushed, after the handler returned).
 */
@Entity
public class Shipment {

    @Id
    @GeneratedValue(strategy = GenerationType.UUID)
    private UUID id;

    @Column(nullable = false)
    private String orderId;

    @Column(nullable = false, unique = true)
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
