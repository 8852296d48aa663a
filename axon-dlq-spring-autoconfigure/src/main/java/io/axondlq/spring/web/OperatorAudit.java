package io.axondlq.spring.web;

import jakarta.servlet.http.HttpServletRequest;

/**
 * Who a request acts as, for the audit entries the operations service writes ({@code DeadLetterOperations}) and the
 * retry jobs write themselves (see {@link OperatorActor}). Nothing here writes to the audit log: every entry is written
 * with its change, in its transaction, by the layer that makes the change.
 */
public class OperatorAudit {

    private final OperatorActor actor;

    public OperatorAudit(OperatorActor actor) {
        this.actor = actor;
    }

    public String actor(HttpServletRequest request) {
        return actor.current(request);
    }
}
