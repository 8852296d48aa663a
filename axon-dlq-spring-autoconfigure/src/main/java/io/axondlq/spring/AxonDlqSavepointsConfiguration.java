package io.axondlq.spring;

import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.JpaAwareSavepoints;
import io.axondlq.core.tx.Savepoints;
import jakarta.persistence.EntityManagerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.orm.jpa.EntityManagerHolder;

import javax.sql.DataSource;

/**
 * The {@link Savepoints} that isolate handler attempts inside the processor's transaction: {@link JpaAwareSavepoints}
 * when the application has one JPA {@link EntityManagerFactory} (Spring Boot then runs Axon's transactions with a
 * {@code JpaTransactionManager}), {@link JdbcSavepoints} otherwise. The JPA variant is a nested configuration, whose
 * beans Spring registers before this class's own, so it wins when both apply.
 */
@Configuration(proxyBeanMethods = false)
@Import(AxonDlqSavepointsConfiguration.Jpa.class)
class AxonDlqSavepointsConfiguration {

    @Bean
    @ConditionalOnMissingBean(Savepoints.class)
    public JdbcSavepoints axonDlqSavepoints(DataSource dataSource) {
        return new JdbcSavepoints(dataSource);
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({EntityManagerFactory.class, EntityManagerHolder.class})
    @ConditionalOnSingleCandidate(EntityManagerFactory.class)
    static class Jpa {

        @Bean
        @ConditionalOnMissingBean(Savepoints.class)
        public JpaAwareSavepoints axonDlqSavepoints(DataSource dataSource, EntityManagerFactory entityManagerFactory) {
            return new JpaAwareSavepoints(dataSource, entityManagerFactory);
        }
    }
}
