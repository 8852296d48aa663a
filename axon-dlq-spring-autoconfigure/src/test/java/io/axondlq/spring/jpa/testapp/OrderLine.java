package io.axondlq.spring.jpa.testapp;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;

/** An entity with an IDENTITY id: Hibernate inserts it as soon as it is saved, before any flush. */
@Entity
public class OrderLine {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false)
    private String orderId;

    protected OrderLine() {
    }

    public OrderLine(String orderId) {
        this.orderId = orderId;
    }

    public Long getId() {
        return id;
    }

    public String getOrderId() {
        return orderId;
    }
}
