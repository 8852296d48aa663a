package io.axondlq.spring;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.LazyInitializationBeanFactoryPostProcessor;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ByteArrayResource;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static io.axondlq.spring.AxonDlqAutoConfigurationTest.messages;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spellings of per-group settings Spring Boot binds, which the start must accept, and the start failures that must
 * also happen under lazy initialization and name the property as it was written.
 */
class PropertySpellingsAndLazyStartTest {

    private final ApplicationContextRunner runner = ProcessingGroupPropertiesTest.applicationWithGroups();

    /** Valid per-group settings in the spellings Spring Boot binds: the unknown-setting check must accept them. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "axon.dlq.processing-groups.ledger.retry.backoff-initial=5ms",
            "axon.dlq.processing-groups.ledger.retry.backoffInitial=5ms",
            "axon.dlq.processing-groups.ledger.retry.backoff-max=5s",
            "axon.dlq.processing-groups.ledger.retry.non-retryable-exceptions[0]=java.lang.IllegalStateException",
            "axon.dlq.processing-groups.ledger.retry.nonRetryableExceptions=java.lang.IllegalStateException",
            "axon.dlq.processing-groups.ledger.retry.skip-exceptions[0]=java.lang.IllegalStateException",
            "axon.dlq.processing-groups.ledger.isolation=savepoint-per-attempt",
            "axon.dlq.processing-groups.ledger.isolation=SAVEPOINT_PER_ATTEMPT",
            "axon.dlq.processing-groups.ledger.isolation=savepointPerAttempt",
            "axon.dlq.processing-groups.ledger.clearOnReset=true",
            "axon.dlq.processing-groups.ledger.clear_on_reset=true",
            "axon.dlq.processing-groups.BillingView.limits.maxSequenceSize=7",
            "axon.dlq.processing-groups.billing-view.limits.max-sequences=7",
            "axon.dlq.processing-groups[BillingView].enabled=false"})
    void validGroupSettingsStart(String property) {
        runner.withPropertyValues(property).run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void validGroupSettingsStartFromYamlWithLists() {
        String yaml = """
                axon:
                  dlq:
                    processing-groups:
                      ledger:
                        isolation: SAVEPOINT_PER_ATTEMPT
                        retry:
                          backoff-initial: 5ms
                          non-retryable-exceptions:
                            - java.lang.IllegalStateException
                            - java.lang.IllegalArgumentException
                          skip-exceptions: [java.lang.UnsupportedOperationException]
                      "[io.axondlq.spring.groupkeys.orders]":
                        retry:
                          non-retryable-exceptions: java.lang.IllegalStateException
                """;
        runner.withInitializer(context -> {
            try {
                new YamlPropertySourceLoader().load("application.yml", new ByteArrayResource(
                        yaml.getBytes(StandardCharsets.UTF_8), "application.yml"))
                                              .forEach(s -> context.getEnvironment().getPropertySources().addLast(s));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }).run(context -> assertThat(context).hasNotFailed());
    }

    @Test
    void validGroupSettingsStartAsEnvironmentVariablesWithListIndexes() {
        runner.withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
                      new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                                                          Map.of("AXON_DLQ_PROCESSINGGROUPS_LEDGER_RETRY_NONRETRYABLEEXCEPTIONS_0_",
                                                                 "java.lang.IllegalStateException",
                                                                 "AXON_DLQ_PROCESSINGGROUPS_LEDGER_RETRY_BACKOFFINITIAL", "5ms",
                                                                 "AXON_DLQ_PROCESSINGGROUPS_BILLINGVIEW_ISOLATION",
                                                                 "savepoint_per_attempt"))))
              .withPropertyValues("axon.dlq.processing-groups.ledger.retry.max-attempts=2",
                                  "axon.dlq.processing-groups.billing-view.retry.max-attempts=2")
              .run(context -> assertThat(context).hasNotFailed());
    }

    /**
     * Auto-retry that cannot run (the application's own module) fails the start also under
     * spring.main.lazy-initialization=true, where nothing asks for the bean that refuses it unless it is eager.
     */
    @Test
    void autoRetryThatCannotRunFailsTheStartAlsoWithLazyInitialization() {
        ApplicationContextRunner ownModule = runner
                .withBean("myModule", org.axonframework.config.EventProcessingModule.class,
                          org.axonframework.config.EventProcessingModule::new)
                .withPropertyValues("axon.dlq.auto-retry.enabled=true");
        ownModule.run(context -> assertThat(context).hasFailed());
        ownModule.withInitializer(context -> context.addBeanFactoryPostProcessor(
                         new LazyInitializationBeanFactoryPostProcessor()))
                 .run(context -> {
                     assertThat(context).hasFailed();
                     assertThat(messages(context.getStartupFailure())).contains("axon.dlq.auto-retry.enabled");
                 });
    }

    /** A bad value in the deprecated flat form fails the start naming the property as written, not the nested one. */
    @Test
    void aBadFlatBackoffValueFailsTheStartNamingThePropertyAsWritten() {
        runner.withPropertyValues("axon.dlq.processing-groups.ledger.retry.backoff-initial=-1s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .contains("axon.dlq.processing-groups.ledger.retry.backoff-initial");
        });
    }
}
