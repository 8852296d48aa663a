package io.axondlq.spring.web.testapp;

import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.testsupport.OrderedInMemoryEventStorageEngine;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.config.ConfigurerModule;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.jdbc.GenericTokenTableFactory;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.Serializer;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.data.jpa.JpaRepositoriesAutoConfiguration;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static org.awaitility.Awaitility.await;

/**
 * An ordinary Axon Spring Boot application with axon-dlq on the classpath: H2 (embedded, unique per context),
 * in-memory event storage, a JDBC token store, processors configured by properties only
 * ({@code application-dlqweb.properties}). Group {@code ledger} runs on the pooled processor {@code ledger-processor}.
 */
// A JDBC application: JPA is on the test classpath only for io.axondlq.spring.jpa.testapp.
@SpringBootApplication(exclude = {HibernateJpaAutoConfiguration.class, JpaRepositoriesAutoConfiguration.class})
public class DlqWebTestApplication {

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
    public ConfigurerModule ledgerProcessorAssignment() {
        return configurer -> configurer.eventProcessing()
                                       .assignProcessingGroup(LedgerProjection.GROUP, LedgerProjection.PROCESSOR);
    }

    @Bean
    public Poison poison() {
        return new Poison();
    }

    @Bean
    public LedgerProjection ledgerProjection(JdbcTemplate jdbc, Poison poison) {
        return new LedgerProjection(jdbc, poison);
    }

    @Bean
    public NotificationProjection notificationProjection() {
        return new NotificationProjection();
    }

    @Bean
    public Accounts accounts(EventStore eventStore, DeadLetterStore store) {
        return new Accounts(eventStore, store);
    }

    /**
     * The host's role hierarchy, which axon-dlq's authorization honours: a supervisor (role {@code ROLE_DLQ_SUPERVISOR})
     * holds the default write authority's role, so may write (and read) without holding {@code DLQ_ADMIN} itself; an
     * auditor ({@code ROLE_DLQ_AUDITOR}) holds the default payload authority's role.
     */
    @Bean
    public RoleHierarchy roleHierarchy() {
        return RoleHierarchyImpl.withDefaultRolePrefix().role("DLQ_SUPERVISOR").implies("DLQ_ADMIN")
                                .role("DLQ_AUDITOR").implies("DLQ_PAYLOAD").build();
    }

    @Bean
    public FilterRegistrationBean<TestAuthenticationFilter> testAuthenticationFilter() {
        return new FilterRegistrationBean<>(new TestAuthenticationFilter());
    }

    /** Publishes account events and waits for their letters. */
    public static class Accounts {

        private final EventStore eventStore;
        private final DeadLetterStore store;
        private final Map<String, AtomicLong> sequenceNumbers = new ConcurrentHashMap<>();

        Accounts(EventStore eventStore, DeadLetterStore store) {
            this.eventStore = eventStore;
            this.store = store;
        }

        public void credit(String accountId, long amount) {
            credit(accountId, amount, "credit " + amount);
        }

        public void credit(String accountId, long amount, String note) {
            long sequence = sequenceNumbers.computeIfAbsent(accountId, id -> new AtomicLong()).getAndIncrement();
            eventStore.publish(new GenericDomainEventMessage<>(
                    "Account", accountId, sequence, new AccountCredited(accountId, amount, note),
                    MetaData.with("secret", "s3cr3t-" + accountId).and("tenant", "acme")));
        }

        /** Credits the account {@code events} times and waits until all of them are dead letters. */
        public void creditAndAwaitLetters(String accountId, int events) {
            long before = store.sequenceSize(LedgerProjection.GROUP, accountId);
            for (int i = 0; i < events; i++) {
                credit(accountId, 100 + i);
            }
            awaitLetters(accountId, before + events);
        }

        public void awaitLetters(String accountId, long letters) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                   .until(() -> store.sequenceSize(LedgerProjection.GROUP, accountId) == letters);
        }
    }
}
