package io.axondlq.spring.web.testapp;

/** The test application's only event type. */
public record AccountCredited(String accountId, long amount, String note) {
}
