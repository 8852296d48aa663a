package io.axondlq.spring.web.twonodes;

import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.serialization.Serializer;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * One node of a two-node application on one database, both started in one JVM with {@code SpringApplicationBuilder}:
 * a JDBC token store whose owner is the node ({@code test.node}; the JVM-wide default would make both nodes one
 * owner), in-memory event storage per node (the letters carry their events; a test publishes its live events on the
 * node that holds the segments), group {@value NodeLedger#GROUP} on a pooled processor configured by properties.
 */
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class})
public class TwoNodesTestApplication {

    @Bean
    public EventStorageEngine eventStorageEngine() {
        return new OrderedInMemoryEventStorageEngine();
    }

    @Bean
    public TokenStore tokenStore(ConnectionProvider connectionProvider, Serializer serializer,
                                 @Value("${test.node}") String node) {
        JdbcTokenStore tokenStore = JdbcTokenStore.builder()
                                                  .connectionProvider(connectionProvider)
                                                  .serializer(serializer)
                                                  .nodeId(node)
                                                  .build();
        tokenStore.createSchema(GenericTokenTableFactory.INSTANCE);
        return tokenStore;
    }

    @Bean
    public NodeLedger nodeLedger(JdbcTemplate jdbc, @Value("${test.node}") String node) {
        return new NodeLedger(jdbc, node);
    }

    @Bean
    public FilterRegistrationBean<TestAuthenticationFilter> testAuthenticationFilter() {
        return new FilterRegistrationBean<>(new TestAuthenticationFilter());
    }
}
