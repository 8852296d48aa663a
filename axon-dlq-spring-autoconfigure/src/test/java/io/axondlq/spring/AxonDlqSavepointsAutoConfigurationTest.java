package io.axondlq.spring;

import io.axondlq.core.tx.JdbcSavepoints;
import io.axondlq.core.tx.JpaAwareSavepoints;
import io.axondlq.core.tx.Savepoints;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.transaction.PlatformTransactionManager;

import static org.assertj.core.api.Assertions.assertThat;

/** Which {@link Savepoints} bean a JDBC application and a JPA application get, and that the user's own wins. */
class AxonDlqSavepointsAutoConfigurationTest {

    private final ApplicationContextRunner jdbc = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");
    private final ApplicationContextRunner jpa =
            jdbc.withConfiguration(AutoConfigurations.of(HibernateJpaAutoConfiguration.class));

    @Test
    void aJdbcApplicationGetsJdbcSavepoints() {
        jdbc.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(Savepoints.class);
            assertThat(context.getBean("axonDlqSavepoints")).isInstanceOf(JdbcSavepoints.class);
        });
    }

    @Test
    void aJpaApplicationGetsJpaAwareSavepoints() {
        jpa.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(PlatformTransactionManager.class)).isInstanceOf(JpaTransactionManager.class);
            assertThat(context).hasSingleBean(Savepoints.class);
            assertThat(context.getBean("axonDlqSavepoints")).isInstanceOf(JpaAwareSavepoints.class);
        });
    }

    @Test
    void userDefinedSavepointsWin() {
        Savepoints mine = () -> null;
        for (ApplicationContextRunner runner : new ApplicationContextRunner[] {jdbc, jpa}) {
            runner.withBean("mySavepoints", Savepoints.class, () -> mine).run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).hasSingleBean(Savepoints.class);
                assertThat(context.getBean(Savepoints.class)).isSameAs(mine);
            });
        }
    }
}
