package io.axondlq.spring;

import io.axondlq.core.store.DeadLetterStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.NoUniqueBeanDefinitionException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseBuilder;
import org.springframework.jdbc.datasource.embedded.EmbeddedDatabaseType;
import org.springframework.transaction.PlatformTransactionManager;

import javax.sql.DataSource;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** An application with two DataSources (its own, e.g. a reporting database beside the main one). */
class TwoDataSourcesTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false");

    @Test
    void theTablesAndTheStoreAreOnThePrimaryDataSource() {
        runner.withUserConfiguration(PrimaryAndReporting.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(count(context.getBean("main", DataSource.class), "axon_dlq_letter")).isEqualTo(1);
            assertThat(count(context.getBean("reporting", DataSource.class), "axon_dlq_letter")).isZero();
            assertThat(context.getBean(DeadLetterStore.class).statistics()).isEmpty();
        });
    }

    /**
     * As Axon's own JDBC token and event stores do, axon-dlq takes the primary DataSource: with two and neither
     * primary it cannot tell which is meant, and the start fails naming both rather than leave the application
     * without a dead-letter queue it asked for.
     */
    @Test
    void withoutAPrimaryOneTheStartFailsNamingBoth() {
        runner.withUserConfiguration(TwoWithoutPrimary.class).run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                      .isInstanceOf(NoUniqueBeanDefinitionException.class)
                      .hasMessageContaining("javax.sql.DataSource").hasMessageContaining("main")
                      .hasMessageContaining("reporting");
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoWithoutPrimary {
        @Bean
        DataSource main() {
            return h2();
        }

        @Bean
        DataSource reporting() {
            return h2();
        }
    }

    private static long count(DataSource dataSource, String table) {
        return new JdbcTemplate(dataSource).queryForObject(
                "SELECT COUNT(*) FROM INFORMATION_SCHEMA.TABLES WHERE LOWER(TABLE_NAME) = ?", Long.class, table);
    }

    static DataSource h2() {
        return new EmbeddedDatabaseBuilder().setType(EmbeddedDatabaseType.H2).setName(UUID.randomUUID().toString())
                                            .build();
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryAndReporting {
        @Bean
        @Primary
        DataSource main() {
            return h2();
        }

        @Bean
        DataSource reporting() {
            return h2();
        }

        @Bean
        PlatformTransactionManager transactionManager(DataSource main) {
            return new DataSourceTransactionManager(main);
        }
    }
}
