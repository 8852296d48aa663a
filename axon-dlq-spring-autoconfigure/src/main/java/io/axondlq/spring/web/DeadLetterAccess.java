package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;

/**
 * What the current caller may do with the API, for the parts that are not a controller of it: the dashboard's static
 * files (they need the read authority) and {@code GET {base-path}/me} (which hides write controls from readers).
 * Implemented by {@code io.axondlq.spring.web.security} with Spring Security; without it, everything is allowed, as the
 * API itself then checks nothing.
 */
public interface DeadLetterAccess {

    /** Everything allowed: no Spring Security. */
    DeadLetterAccess OPEN = new DeadLetterAccess() {
        @Override
        public Decision decide(HttpServletRequest request, boolean write) {
            return Decision.GRANTED;
        }

        @Override
        public String challenge() {
            return null;
        }
    };

    enum Decision { GRANTED, UNAUTHENTICATED, FORBIDDEN }

    /** The decision the API's authorization would take for a read ({@code write} false) or a write. */
    Decision decide(HttpServletRequest request, boolean write);

    /** The {@code WWW-Authenticate} value of a 401, or null when there is no authentication. */
    String challenge();
}
