package io.axondlq.spring;

import org.flywaydb.core.Flyway;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.flyway.FlywayConfigurationCustomizer;
import org.springframework.context.annotation.Bean;

import java.util.HashMap;
import java.util.Map;

/**
 * Fills the {@code axon_dlq_prefix} placeholder of axon-dlq's migrations when the application runs Flyway with
 * {@code classpath:db/axon-dlq/{vendor}} among its locations.
 */
@AutoConfiguration
@ConditionalOnClass({Flyway.class, FlywayConfigurationCustomizer.class})
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@org.springframework.boot.context.properties.EnableConfigurationProperties(AxonDlqProperties.class)
public class AxonDlqFlywayAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "axonDlqFlywayPlaceholder")
    public FlywayConfigurationCustomizer axonDlqFlywayPlaceholder(AxonDlqProperties properties) {
        return configuration -> {
            Map<String, String> placeholders = new HashMap<>(configuration.getPlaceholders());
            placeholders.putIfAbsent("axon_dlq_prefix", properties.getJdbc().getTablePrefix());
            configuration.placeholders(placeholders);
        };
    }
}
