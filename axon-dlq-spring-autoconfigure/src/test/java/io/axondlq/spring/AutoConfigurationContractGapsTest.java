package io.axondlq.spring;

import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.spring.health.DeadLetterHealthIndicator;
import io.axondlq.spring.web.DeadLetterQueryController;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.http.MediaType;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

import java.util.List;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/**
 * What an experienced Spring Boot user expects of the auto-configuration, where a review found it fell short: each
 * test failed on the code before its fix.
 */
class AutoConfigurationContractGapsTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withConfiguration(AutoConfigurations.of(AxonDlqHealthAutoConfiguration.class))
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    private final WebApplicationContextRunner webRunner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class))
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    /**
     * Spring Boot's canonical property form is kebab case, and Boot compares names ignoring case and dashes; the
     * health contributor's switch was honoured only in the exact camel-case spelling
     * {@code management.health.deadLetters.enabled} (Boot's condition looks a non-canonical name up verbatim).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"management.health.dead-letters.enabled=false",
            "management.health.deadletters.enabled=false", "management.health.deadLetters.enabled=false"})
    void theHealthContributorIsSwitchedOffInTheCanonicalSpelling(String property) {
        runner.run(context -> assertThat(context).hasSingleBean(DeadLetterHealthIndicator.class));
        runner.withPropertyValues(property)
              .run(context -> assertThat(context).doesNotHaveBean(DeadLetterHealthIndicator.class));
    }

    /**
     * Every bean of an auto-configuration backs off for the application's own. A check of the application's own (one
     * that, say, tolerates keys of a configuration shared by several services) must replace axon-dlq's rather than
     * break the start with two candidates for the module's parameter.
     */
    @Test
    void anApplicationsOwnProcessingGroupsCheckReplacesAxonDlqs() {
        runner.withBean("myGroupsCheck", ProcessingGroupPropertiesCheck.class,
                        () -> new ProcessingGroupPropertiesCheck(new AxonDlqProperties(), new StandardEnvironment(),
                                                                 null))
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(context).hasSingleBean(ProcessingGroupPropertiesCheck.class);
              });
    }

    /**
     * {@code axon.dlq.rest.enabled} is a Boolean property: Spring's binder reads yes, on and 1 as true, and the bound
     * {@link AxonDlqProperties} says the REST API is enabled. The condition that decides it parses the raw value
     * with {@link Boolean#parseBoolean}, so the API silently stays off (here without Spring Security on the
     * classpath, where only an explicit true turns it on).
     */
    @ParameterizedTest(name = "axon.dlq.rest.enabled={0}")
    @ValueSource(strings = {"yes", "on", "1"})
    void theRestApiFollowsTheBoundValueOfItsSwitch(String value) {
        webRunner.withClassLoader(new org.springframework.boot.test.context.FilteredClassLoader(
                         org.springframework.security.core.context.SecurityContextHolder.class))
                 .withPropertyValues("axon.dlq.rest.enabled=" + value)
                 .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(AxonDlqProperties.class).getRest().getEnabled()).isTrue();
                    assertThat(context).hasSingleBean(DeadLetterQueryController.class);
                });
    }

    /** A value that is no boolean fails the start naming the property, as binding AxonDlqProperties would. */
    @Test
    void aRestApiSwitchThatIsNoBooleanFailsTheStart() {
        webRunner.withPropertyValues("axon.dlq.rest.enabled=maybe")
                 .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure()))
                            .contains("axon.dlq.rest.enabled");
                });
    }

    /**
     * With {@code spring.main.lazy-initialization=true} (Boot's switch for faster starts, common in development) a key
     * that names no processing group no longer fails the start: the check is a SmartInitializingSingleton created only
     * with the module, which Axon asks for only when it starts (after the singletons' callback).
     */
    @Test
    void anUnknownGroupKeyFailsTheStartAlsoWithLazyInitialization() {
        ApplicationContextRunner withAGroup = runner
                .withBean(org.axonframework.eventhandling.tokenstore.TokenStore.class,
                          org.axonframework.eventhandling.tokenstore.inmemory.InMemoryTokenStore::new)
                .withBean(LedgerHandler.class)
                .withPropertyValues("axon.dlq.processing-groups.no-such-group.enabled=false");
        withAGroup.run(context -> assertThat(context).hasFailed());
        withAGroup.withInitializer(context -> context.addBeanFactoryPostProcessor(
                          new org.springframework.boot.LazyInitializationBeanFactoryPostProcessor()))
                  .run(context -> {
                      assertThat(context).hasFailed();
                      assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure()))
                              .contains("axon.dlq.processing-groups.no-such-group");
                  });
    }

    /**
     * {@code axon.dlq.auto-retry.enabled=true} with a dead-letter store other than axon-dlq's JDBC one fails the start
     * naming the property; with an event processing module of the application's own (so no redeliverer) the switch is
     * ignored without a word, and parked sequences are never retried automatically.
     */
    @Test
    void autoRetryThatCannotRunFailsTheStartInsteadOfBeingIgnored() {
        runner.withBean("myModule", org.axonframework.config.EventProcessingModule.class,
                        org.axonframework.config.EventProcessingModule::new)
              .withPropertyValues("axon.dlq.auto-retry.enabled=true")
              .run(context -> {
                  assertThat(context).hasFailed();
                  assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure()))
                          .contains("axon.dlq.auto-retry.enabled");
              });
    }

    /**
     * With the application's own event processing module there is no redeliverer, so no retry-job runner: a job
     * created over the API stayed pending forever (202, then nothing). Creation is refused with the retry-jobs problem
     * and stores nothing; the list stays readable.
     */
    @Test
    void aRetryJobIsRefusedWhereNoRunnerWouldRunIt() {
        webRunner.withBean("myModule", org.axonframework.config.EventProcessingModule.class,
                           org.axonframework.config.EventProcessingModule::new)
                 .withClassLoader(new org.springframework.boot.test.context.FilteredClassLoader(
                         org.springframework.security.core.context.SecurityContextHolder.class))
                 .withPropertyValues("axon.dlq.rest.enabled=true")
                 .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).doesNotHaveBean(RetryJobRunner.class);
                    // a letter makes the group known to the API (no module of axon-dlq's lists it)
                    context.getBean(DeadLetterStore.class).enqueue(
                            LedgerHandler.GROUP, LetterDraft.failed(
                                    "k-1", GenericEventMessage.asEventMessage("e"),
                                    new IllegalStateException("boom"), List.of()));
                    MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();

                    MockHttpServletResponse created = mvc.perform(post("/dead-letters/retry-jobs")
                                    .contentType(MediaType.APPLICATION_JSON)
                                    .content("{\"processingGroup\": \"" + LedgerHandler.GROUP + "\"}"))
                            .andReturn().getResponse();
                    assertThat(created.getStatus()).isEqualTo(503);
                    assertThat(created.getContentAsString())
                            .contains("urn:axon-dlq:problem:retry-jobs-unavailable", "DeadLetterRedeliverer");
                    JdbcTemplate jdbc = new JdbcTemplate(context.getBean(DataSource.class));
                    assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM axon_dlq_retry_job", Long.class)).isZero();
                    assertThat(mvc.perform(get("/dead-letters/retry-jobs")).andReturn().getResponse().getStatus())
                            .isEqualTo(200);
                });
    }

    @org.axonframework.config.ProcessingGroup(LedgerHandler.GROUP)
    static class LedgerHandler {
        static final String GROUP = "ledger";

        @org.axonframework.eventhandling.EventHandler
        void on(String event) {
        }
    }
}
