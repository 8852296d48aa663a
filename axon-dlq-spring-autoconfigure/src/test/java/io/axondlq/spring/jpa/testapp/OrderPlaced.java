package io.axondlq.spring.jpa.testapp;

/** The test application's only event; its aggregate (and sequence) is the order. */
public record OrderPlaced(String orderId) {
}
