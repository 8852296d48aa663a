package io.axondlq.spring.web;

import io.axondlq.spring.AxonDlqAutoConfigurationTest;
import io.axondlq.spring.web.security.DeadLetterAuthorizationInterceptor;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.security.core.context.SecurityContextHolder;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** When the REST API appears, what backs off, and that bad REST properties fail the start. */
class AxonDlqWebAutoConfigurationTest {

    private static final List<Class<?>> API = List.of(
            DeadLetterQueryController.class, DeadLetterOperationsController.class, DeadLetterExportController.class,
            RetryJobController.class, AuditController.class, DeadLetterFallbackController.class,
            DeadLetterProblemAdvice.class, KnownProcessingGroups.class, LetterViews.class, OperatorAudit.class);

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class))
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    @Test
    void aServletApplicationWithSpringSecurityGetsTheApi() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).hasSingleBean(type));
            assertThat(context).hasSingleBean(DeadLetterAuthorizationInterceptor.class);
            assertThat(context.getBean(DeadLetterAuthorizationInterceptor.class).isActive()).isFalse();
        });
    }

    @Test
    void authoritiesActivateTheInterceptor() {
        runner.withPropertyValues("axon.dlq.security.read-authority=DLQ_READ",
                                  "axon.dlq.security.write-authority=DLQ_ADMIN").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(DeadLetterAuthorizationInterceptor.class).isActive()).isTrue();
        });
    }

    @Test
    void restEnabledFalseTurnsItOff() {
        runner.withPropertyValues("axon.dlq.rest.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).doesNotHaveBean(type));
        });
    }

    @Test
    void dlqDisabledTurnsItOff() {
        runner.withPropertyValues("axon.dlq.enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).doesNotHaveBean(type));
        });
    }

    @Test
    void withoutSpringSecurityItIsOffUnlessAskedFor() {
        WebApplicationContextRunner noSecurity = runner.withClassLoader(
                new FilteredClassLoader(SecurityContextHolder.class));
        noSecurity.run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).doesNotHaveBean(type));
        });
        noSecurity.withPropertyValues("axon.dlq.rest.enabled=true").run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).hasSingleBean(type));
            assertThat(context).doesNotHaveBean(DeadLetterAuthorizationInterceptor.class);
        });
    }

    @Test
    void userDefinedBeansWin() {
        LetterViews views = new LetterViews(List.of("password"));
        runner.withBean("myViews", LetterViews.class, () -> views).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(LetterViews.class)).isSameAs(views);
        });
    }

    @Test
    void withoutADeadLetterStoreNothing() {
        new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class, AxonDlqWebAutoConfiguration.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    API.forEach(type -> assertThat(context).doesNotHaveBean(type));
                });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "axon.dlq.rest.max-page-size=0        | axon.dlq.rest.max-page-size",
            "axon.dlq.rest.max-page-size=-10      | axon.dlq.rest.max-page-size",
            "axon.dlq.rest.max-page-size=lots     | axon.dlq.rest.max-page-size",
            "axon.dlq.rest.base-path=dead-letters | axon.dlq.rest.base-path",
            "axon.dlq.rest.base-path=/dlq/        | axon.dlq.rest.base-path",
            "axon.dlq.rest.base-path=/            | axon.dlq.rest.base-path",
            "axon.dlq.rest.base-path=/dlq/{x}     | axon.dlq.rest.base-path",
            "axon.dlq.rest.base-path=/dlq/**      | axon.dlq.rest.base-path",
    })
    void badRestPropertiesFailTheStartNamingTheProperty(String property, String named) {
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure())).contains(named);
        });
    }
}
