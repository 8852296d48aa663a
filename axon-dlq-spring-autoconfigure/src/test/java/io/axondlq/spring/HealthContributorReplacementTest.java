package io.axondlq.spring;

import io.axondlq.core.store.DeadLetterStore;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.health.HealthContributorAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.health.HealthEndpointAutoConfiguration;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributorRegistry;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

/**
 * An application that replaces the {@code deadLetters} health contribution the way Spring Boot's own ones are replaced
 * (a bean named {@code deadLettersHealthContributor}, or {@code deadLetters}): axon-dlq's must back off, not register
 * a second contributor of the same name, which the health endpoint refuses and fails the start.
 */
class HealthContributorReplacementTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(AxonDlqHealthAutoConfiguration.class,
                                                     HealthContributorAutoConfiguration.class,
                                                     HealthEndpointAutoConfiguration.class))
            .withBean(DeadLetterStore.class, () -> mock(DeadLetterStore.class))
            .withBean(AxonDlqProperties.class, AxonDlqProperties::new);

    @Test
    void aContributorBeanNamedAsSpringBootNamesThemReplacesOurs() {
        HealthIndicator mine = () -> Health.up().withDetail("mine", true).build();
        runner.withBean("deadLettersHealthContributor", HealthIndicator.class, () -> mine).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(HealthContributorRegistry.class).getContributor("deadLetters"))
                    .isSameAs(mine);
        });
    }

    @Test
    void aContributorBeanNamedDeadLettersReplacesOurs() {
        HealthIndicator mine = () -> Health.up().withDetail("mine", true).build();
        runner.withBean("deadLetters", HealthIndicator.class, () -> mine).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(HealthContributorRegistry.class).getContributor("deadLetters"))
                    .isSameAs(mine);
        });
    }
}
