package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Whether the caller of a request may see letters in full although {@code axon.dlq.export.payload} is {@code masked}
 * or {@code none}. The API itself knows no authorities: with Spring Security,
 * {@code io.axondlq.spring.web.security} supplies one that checks {@code axon.dlq.security.payload-authority}; without
 * it (or without such a bean) {@link #NOBODY} applies.
 */
@FunctionalInterface
public interface PayloadClearance {

    /** No caller is exempt: every view follows the configured payload mode. */
    PayloadClearance NOBODY = request -> false;

    boolean granted(HttpServletRequest request);
}
