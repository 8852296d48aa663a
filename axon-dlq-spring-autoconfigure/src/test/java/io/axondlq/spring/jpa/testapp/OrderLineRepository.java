package io.axondlq.spring.jpa.testapp;

import org.springframework.data.jpa.repository.JpaRepository;

public interface OrderLineRepository extends JpaRepository<OrderLine, Long> {

    long countByOrderId(String orderId);
}
