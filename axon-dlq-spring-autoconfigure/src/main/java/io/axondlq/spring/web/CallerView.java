package io.axondlq.spring.web;

/**
 * Who the caller is and what it may do ({@code GET /me}): the dashboard shows no write control to a reader.
 *
 * @param name        the caller as the audit log names it
 * @param mayRead     whether the read authority is granted
 * @param mayWrite    whether the write authority is granted
 * @param maxPageSize the largest page the API serves ({@code axon.dlq.rest.max-page-size}): the dashboard asks for no
 *                    more
 */
public record CallerView(String name, boolean mayRead, boolean mayWrite, int maxPageSize) {
}
