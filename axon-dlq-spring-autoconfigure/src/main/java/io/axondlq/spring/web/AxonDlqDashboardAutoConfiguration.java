package io.axondlq.spring.web;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.AxonDlqProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/**
 * The operator dashboard: its two REST reads ({@link DashboardController}, on with the REST API) and, unless
 * {@code axon.dlq.ui.enabled=false}, its static files at {@code {base-path}/ui/} ({@link DashboardAssets}). The
 * dashboard is plain HTML and ES modules inside this jar; it calls only the REST API. Nothing of the host's view
 * resolution or static resource handling changes: the files are served by a handler mapping of their own that
 * matches {@code {base-path}/ui} and below only.
 */
@AutoConfiguration(after = AxonDlqWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBean({DeadLetterRestEndpoint.class, DeadLetterStore.class, OperatorActor.class})
@EnableConfigurationProperties(AxonDlqProperties.class)
public class AxonDlqDashboardAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public DashboardController axonDlqDashboardController(DeadLetterStore store, OperatorActor actor,
                                                          ObjectProvider<DeadLetterAccess> access,
                                                          AxonDlqProperties properties) {
        return new DashboardController(store, actor, access, Clock.systemUTC(),
                                       properties.getRest().getMaxPageSize());
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnProperty(prefix = "axon.dlq.ui", name = "enabled", matchIfMissing = true)
    static class Assets {

        @Bean
        @ConditionalOnMissingBean
        public DashboardAssets axonDlqDashboardAssets(AxonDlqProperties properties,
                                                      ObjectProvider<DeadLetterAccess> access) {
            return new DashboardAssets(properties.getRest().getBasePath(), access);
        }
    }
}
