package io.axondlq.spring;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.properties.Health;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Lazy;

/**
 * The health contribution {@code deadLetters} (bean {@value #BEAN_NAME}): letters, sequences and the oldest letter per
 * processing group; UP even with dead letters, {@code axon.dlq.health.threshold-status} when a group holds more than
 * {@code axon.dlq.health.threshold} letters. Turned off with {@code management.health.deadletters.enabled=false} (in
 * any spelling Spring Boot relaxes to it: {@code dead-letters}, {@code deadLetters}, {@code MANAGEMENT_HEALTH_DEADLETTERS_ENABLED}),
 * and with the rest of axon-dlq by {@code axon.dlq.enabled=false}.
 */
@AutoConfiguration(after = AxonDlqAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@ConditionalOnBean({DeadLetterStore.class, AxonDlqProperties.class})
// Keyed in Boot's canonical form (as its own "diskspace"): a camel-case key would match only when written so.
@ConditionalOnEnabledHealthIndicator(AxonDlqHealthAutoConfiguration.ENABLED_KEY)
public class AxonDlqHealthAutoConfiguration {

    /** {@code management.health.}{@value}{@code .enabled}: the switch of the contribution. */
    public static final String ENABLED_KEY = "deadletters";

    /** The health contributor's name is the bean name without "HealthIndicator": {@code deadLetters}. */
    public static final String BEAN_NAME = "deadLettersHealthIndicator";

    @Bean(name = BEAN_NAME)
    // Eager also under spring.main.lazy-initialization: a bad axon.dlq.health.* value fails the start, not the first
    // health check.
    @Lazy(false)
    // Spring Boot names a contributor after its bean, without a "HealthIndicator" or "HealthContributor" suffix: an
    // application bean under any of these names is the deadLetters contributor.
    @ConditionalOnMissingBean(name = {BEAN_NAME, "deadLettersHealthContributor", DeadLetterHealthIndicator.NAME})
    public DeadLetterHealthIndicator deadLettersHealthIndicator(DeadLetterStore store, AxonDlqProperties properties) {
        Health health = properties.getHealth();
        if (health.getThreshold() < 0) {
            throw new GroupSettingsResolver.InvalidDeadLetterPropertyException(
                    "axon.dlq.health.threshold must be 0 (off) or more, was " + health.getThreshold(), null);
        }
        String status = health.getThresholdStatus();
        if (status == null || status.isBlank()) {
            throw new GroupSettingsResolver.InvalidDeadLetterPropertyException(
                    "axon.dlq.health.threshold-status must not be empty", null);
        }
        if (health.getTimeout() == null || health.getTimeout().isNegative() || health.getTimeout().isZero()) {
            throw new GroupSettingsResolver.InvalidDeadLetterPropertyException(
                    "axon.dlq.health.timeout must be positive, was " + health.getTimeout(), null);
        }
        return new DeadLetterHealthIndicator(store, health.getThreshold(), new Status(status.trim()),
                                             health.getTimeout());
    }
}
