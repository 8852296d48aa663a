package io.axondlq.spring.web.shutdownapp;

import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * An ordinary Axon Spring Boot application with axon-dlq, started and closed by the shutdown tests with
 * {@code SpringApplicationBuilder}, twice on one database: in-memory event storage (the letters carry their events),
 * a JDBC token store, group {@value GatedLedger#GROUP} on a pooled processor configured by properties.
 */
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class})
public class ShutdownTestApplication {

    @Bean
    public EventStorageEngine eventStorageEngine() {
        return new OrderedInMemoryEventStorageEngine();
    }

    @Bean
    public TokenStore tokenStore(ConnectionProvider connectionProvider, Serializer serializer) {
        JdbcTokenStore tokenStore = JdbcTokenStore.builder()
                                                  .connectionProvider(connectionProvider)
                                                  .serializer(serializer)
                                                  .build();
        tokenStore.createSchema(GenericTokenTableFactory.INSTANCE);
        return tokenStore;
    }

    @Bean
    public GatedLedger gatedLedger(JdbcTemplate jdbc) {
        return new GatedLedger(jdbc);
    }

    @Bean
    public FilterRegistrationBean<TestAuthenticationFilter> testAuthenticationFilter() {
        return new FilterRegistrationBean<>(new TestAuthenticationFilter());
    }
}
