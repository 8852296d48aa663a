package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditLog;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes operator actions to the {@link AuditLog}: who (see {@link OperatorActor}), what, with which parameters (JSON),
 * and how it ended. Requests refused for bad input are not actions and are not recorded (no data changes on errors).
 */
public class OperatorAudit {

    public static final String SUCCESS = "success";
    public static final String FAILURE = "failure";
    public static final String REJECTED = "rejected";

    private static final Logger logger = LoggerFactory.getLogger(OperatorAudit.class);

    private final AuditLog log;
    private final OperatorActor actor;

    public OperatorAudit(AuditLog log, OperatorActor actor) {
        this.log = log;
        this.actor = actor;
    }

    public String actor(HttpServletRequest request) {
        return actor.current(request);
    }

    public AuditEntry record(HttpServletRequest request, String action, String group, String target,
                             ObjectNode parameters, String outcome, String detail) {
        String who = actor.current(request);
        if (who.length() > 255) {
            who = who.substring(0, 255);
        }
        logger.info("axon-dlq operator action: actor={} action={} group={} target={} outcome={} detail={}",
                    who, action, group, target, outcome, detail);
        return log.record(who, action, group, target, parameters == null ? null : parameters.toString(), outcome,
                          detail);
    }
}
