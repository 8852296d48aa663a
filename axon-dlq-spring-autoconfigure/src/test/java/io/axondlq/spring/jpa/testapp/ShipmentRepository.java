package io.axondlq.spring.jpa.testapp;

import org.springframework.data.jpa.repository.JpaRepository;

import java.util.UUID;

public interface ShipmentRepository extends JpaRepository<Shipment, UUID> {

    long countByOrderId(String orderId);
}
