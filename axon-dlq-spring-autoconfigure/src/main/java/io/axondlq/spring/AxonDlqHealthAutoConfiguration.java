package io.axondlq.spring;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** Health contribution {@code axonDlq}: letters per group, DEGRADED above {@code axon.dlq.health.threshold}. */
@AutoConfiguration(after = AxonDlqAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(DeadLetterStore.class)
@ConditionalOnEnabledHealthIndicator("axonDlq")
public class AxonDlqHealthAutoConfiguration {

    @Bean(name = "axonDlqHealthIndicator")
    @ConditionalOnMissingBean(name = "axonDlqHealthIndicator")
    public DeadLetterHealthIndicator axonDlqHealthIndicator(DeadLetterStore store, AxonDlqProperties properties) {
        return new DeadLetterHealthIndicator(store, properties.getHealth().getThreshold());
    }
}
