package io.axondlq.spring.web;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.ClassUtils;

/**
 * {@code axon.dlq.rest.enabled}: {@code false} turns the REST API off, {@code true} on. Unset, it is on when Spring
 * Security is on the classpath, and off otherwise: an operations API that can erase data should not appear in an
 * application that has no way to protect it unless someone asks for it.
 */
class RestApiEnabledCondition extends SpringBootCondition {

    static final String PROPERTY = "axon.dlq.rest.enabled";
    static final String SECURITY_CLASS = "org.springframework.security.core.context.SecurityContextHolder";

    @Override
    public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
        // Bound as AxonDlqProperties binds it (yes, on, 1 are true too); a value that is no boolean fails the start.
        Boolean enabled = Binder.get(context.getEnvironment()).bind(PROPERTY, Boolean.class).orElse(null);
        if (enabled != null) {
            return new ConditionOutcome(enabled, PROPERTY + "=" + enabled);
        }
        if (ClassUtils.isPresent(SECURITY_CLASS, context.getClassLoader())) {
            return ConditionOutcome.match(PROPERTY + " unset and Spring Security present");
        }
        return ConditionOutcome.noMatch(PROPERTY + " unset and Spring Security absent: set " + PROPERTY
                                                + "=true to expose the REST API without it");
    }
}
