package io.axondlq.spring;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.config.GroupSettings;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.retry.RetryDecision;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.spring.groupkeys.BillingViewHandler;
import io.axondlq.spring.groupkeys.LedgerHandler;
import io.axondlq.spring.groupkeys.OrderProjectionHandler;
import io.axondlq.spring.groupkeys.UpperCaseLedgerHandler;
import io.axondlq.spring.groupkeys.orders.OrderHandler;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.eventhandling.gateway.EventGateway;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.inmemory.InMemoryTokenStore;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.Map;
import javax.sql.DataSource;

import static io.axondlq.spring.AxonDlqAutoConfigurationTest.AXON;
import static io.axondlq.spring.AxonDlqAutoConfigurationTest.AXON_DLQ;
import static io.axondlq.spring.AxonDlqAutoConfigurationTest.messages;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Per-group properties against the groups Axon really has, through the production auto-configurations: a handler
 * without {@code @ProcessingGroup} ({@link OrderHandler}) is in a group named after its package, which has dots;
 * {@link BillingViewHandler}'s group has upper-case letters.
 */
class ProcessingGroupPropertiesTest {

    private static final String ORDERS = OrderHandler.GROUP;

    private final ApplicationContextRunner runner = applicationWithGroups();

    /** Axon with axon-dlq and three processing groups: BillingView, ledger and one named after a package. */
    static ApplicationContextRunner applicationWithGroups() {
        return new ApplicationContextRunner()
                .withConfiguration(AXON)
                .withConfiguration(AXON_DLQ)
                .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
                .withBean(TokenStore.class, () -> new InMemoryTokenStore())
                .withBean(OrderHandler.class)
                .withBean(BillingViewHandler.class)
                .withBean(LedgerHandler.class)
                .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");
    }

    @Test
    void aDottedGroupWrittenWithoutBracketsFailsTheStartNamingTheKeyAndTheBracketForm() {
        runner.withPropertyValues("axon.dlq.processing-groups." + ORDERS + ".enabled=false").run(context -> {
            assertThat(context).hasFailed();
            String message = messages(context.getStartupFailure());
            assertThat(context.getStartupFailure()).isInstanceOf(
                    GroupSettingsResolver.InvalidDeadLetterPropertyException.class);
            assertThat(message).contains("axon.dlq.processing-groups.io ")
                               .contains("axon.dlq.processing-groups." + ORDERS + ".enabled")
                               .contains("names no processing group")
                               .contains("axon.dlq.processing-groups[" + ORDERS + "].enabled")
                               .contains(ORDERS, BillingViewHandler.GROUP);
        });
        runner.withPropertyValues("axon.dlq.processing-groups." + ORDERS + ".retry.backoff.initial=200ms")
              .run(context -> assertThat(messages(context.getStartupFailure()))
                      .contains("axon.dlq.processing-groups[" + ORDERS + "].retry.backoff.initial"));
    }

    @Test
    void theBracketFormDisablesTheDottedGroup() {
        runner.withPropertyValues("axon.dlq.processing-groups[" + ORDERS + "].enabled=false").run(context -> {
            assertThat(context).hasNotFailed();
            DeadLetteringEventProcessingModule module = context.getBean(DeadLetteringEventProcessingModule.class);
            assertThat(module.isEnabled(ORDERS)).isFalse();
            assertThat(module.isEnabled(BillingViewHandler.GROUP)).isTrue();
            assertThat(module.groups().processingGroups()).doesNotContain(ORDERS)
                                                          .contains(BillingViewHandler.GROUP);
            // behaviour: a failing event is handled once by Axon's own error handling and never dead-lettered
            OrderHandler handler = context.getBean(OrderHandler.class);
            context.getBean(EventGateway.class).publish(GenericEventMessage.asEventMessage("poison-1"));
            await().atMost(Duration.ofSeconds(20)).until(() -> handler.attempts.get() >= 1);
            Thread.sleep(300);
            assertThat(handler.attempts.get()).isEqualTo(1);
            assertThat(letters(context)).isZero();
        });
    }

    @Test
    void theBracketFormTunesTheDottedGroupWithTheNestedBackoff() {
        runner.withPropertyValues("axon.dlq.processing-groups[" + ORDERS + "].retry.max-attempts=4",
                                  "axon.dlq.processing-groups[" + ORDERS + "].retry.backoff.initial=70ms",
                                  "axon.dlq.processing-groups[" + ORDERS + "].retry.backoff.multiplier=1",
                                  "axon.dlq.processing-groups[" + ORDERS + "].retry.backoff.max=90ms")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  DeadLetteringEventProcessingModule module =
                          context.getBean(DeadLetteringEventProcessingModule.class);
                  assertThat(module.isEnabled(ORDERS)).isTrue();
                  GroupSettingsResolver settings = context.getBean(GroupSettingsResolver.class);
                  ExponentialBackoffRetryPolicy policy =
                          (ExponentialBackoffRetryPolicy) settings.settings(ORDERS).retryPolicy();
                  assertThat(policy.maxAttempts()).isEqualTo(4);
                  assertThat(delayAfter(settings.settings(ORDERS), 1)).isEqualTo(Duration.ofMillis(70));
                  assertThat(delayAfter(settings.settings(ORDERS), 3)).isEqualTo(Duration.ofMillis(70));
                  // the other group keeps the top level (3 attempts, 20ms doubling)
                  assertThat(delayAfter(settings.settings(BillingViewHandler.GROUP), 1))
                          .isEqualTo(Duration.ofMillis(20));
                  // behaviour: four attempts, the waits in between, then one letter
                  OrderHandler handler = context.getBean(OrderHandler.class);
                  long start = System.nanoTime();
                  context.getBean(EventGateway.class).publish(GenericEventMessage.asEventMessage("poison-2"));
                  await().atMost(Duration.ofSeconds(20)).until(() -> letters(context) == 1);
                  assertThat(handler.attempts.get()).isEqualTo(4);
                  assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(
                          Duration.ofMillis(3 * 70));
              });
    }

    @Test
    void theFlatBackoffStillWorksButNotTogetherWithADifferentNestedOne() {
        runner.withPropertyValues("axon.dlq.processing-groups[" + ORDERS + "].retry.backoff-initial=55ms")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(delayAfter(context.getBean(GroupSettingsResolver.class).settings(ORDERS), 1))
                          .isEqualTo(Duration.ofMillis(55));
              });
        runner.withPropertyValues("axon.dlq.processing-groups[" + ORDERS + "].retry.backoff-initial=55ms",
                                  "axon.dlq.processing-groups[" + ORDERS + "].retry.backoff.initial=60ms")
              .run(context -> assertThat(messages(context.getStartupFailure()))
                      .contains("axon.dlq.processing-groups[" + ORDERS + "].retry.backoff.initial")
                      .contains("axon.dlq.processing-groups[" + ORDERS + "].retry.backoff-initial"));
    }

    @Test
    void aPlainGroupTakesTheNestedBackoff() {
        runner.withPropertyValues("axon.dlq.processing-groups.BillingView.retry.backoff.initial=200ms")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(delayAfter(context.getBean(GroupSettingsResolver.class)
                                                .settings(BillingViewHandler.GROUP), 1))
                          .isEqualTo(Duration.ofMillis(200));
              });
    }

    @Test
    void anEnvironmentVariableKeyOfALowerCaseGroupApplies() {
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_LEDGER_ENABLED", "false",
                               "AXON_DLQ_PROCESSINGGROUPS_LEDGER_RETRY_MAXATTEMPTS", "6")).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(DeadLetteringEventProcessingModule.class).isEnabled(LedgerHandler.GROUP))
                    .isFalse();
            assertThat(((ExponentialBackoffRetryPolicy) context.getBean(GroupSettingsResolver.class)
                    .settings(LedgerHandler.GROUP).retryPolicy()).maxAttempts()).isEqualTo(6);
        });
    }

    private ApplicationContextRunner withEnvironment(Map<String, Object> variables) {
        return runner.withInitializer(context -> context.getEnvironment().getPropertySources().addFirst(
                new SystemEnvironmentPropertySource(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, variables)));
    }

    /**
     * An environment variable's map key arrives lower-cased and without dashes ({@code billingview},
     * {@code orderprojection}, checked against what Spring Boot binds): it applies to the group it names ignoring case
     * and punctuation, down to the store's limits. A key that matches no group still fails the start.
     */
    @Test
    void anEnvironmentVariableKeyAppliesToAGroupWithUpperCaseLettersOrDashes() {
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_BILLINGVIEW_RETRY_MAXATTEMPTS", "5",
                               "AXON_DLQ_PROCESSINGGROUPS_BILLINGVIEW_LIMITS_MAXSEQUENCESIZE", "7",
                               "AXON_DLQ_PROCESSINGGROUPS_ORDERPROJECTION_ENABLED", "false"))
                .withBean(OrderProjectionHandler.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(AxonDlqProperties.class).getProcessingGroups())
                            .containsOnlyKeys("billingview", "orderprojection");
                    GroupSettingsResolver settings = context.getBean(GroupSettingsResolver.class);
                    assertThat(maxAttempts(settings, BillingViewHandler.GROUP)).isEqualTo(5);
                    assertThat(maxAttempts(settings, LedgerHandler.GROUP)).isEqualTo(3);
                    assertThat(context.getBean(JdbcDeadLetterStore.class).limits(BillingViewHandler.GROUP)
                                      .maxSequenceSize()).isEqualTo(7);
                    DeadLetteringEventProcessingModule module =
                            context.getBean(DeadLetteringEventProcessingModule.class);
                    assertThat(module.isEnabled(OrderProjectionHandler.GROUP)).isFalse();
                    assertThat(module.isEnabled(BillingViewHandler.GROUP)).isTrue();
                });
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_BILINGVIEW_ENABLED", "false")).run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .contains("axon.dlq.processing-groups.bilingview")
                    .contains("AXON_DLQ_PROCESSINGGROUPS_BILINGVIEW_ENABLED")
                    .contains("names no processing group");
        });
    }

    /**
     * Spring Boot reads {@code BillingView} and an environment variable's {@code billingview} as one property: the
     * variable overrides the file as it would for any property, and the file's other values stay.
     */
    @Test
    void anEnvironmentVariableOverridesTheExactKeyOfAFileLikeAnyProperty() {
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_BILLINGVIEW_RETRY_MAXATTEMPTS", "5"))
                .withPropertyValues("axon.dlq.processing-groups.BillingView.retry.max-attempts=4",
                                    "axon.dlq.processing-groups.BillingView.limits.max-sequence-size=9")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(maxAttempts(context.getBean(GroupSettingsResolver.class), BillingViewHandler.GROUP))
                            .isEqualTo(5);
                    assertThat(context.getBean(JdbcDeadLetterStore.class).limits(BillingViewHandler.GROUP)
                                      .maxSequenceSize()).isEqualTo(9);
                });
    }

    /** Within one source Spring Boot would keep whichever spelling it meets first: chance, so the start fails. */
    @Test
    void twoSpellingsGivingOneGroupsPropertyDifferentValuesInOneSourceFailTheStartNamingBoth() {
        runner.withPropertyValues("axon.dlq.processing-groups.billing-view.retry.max-attempts=4",
                                  "axon.dlq.processing-groups.BillingView.retry.max-attempts=6")
              .run(context -> {
                  assertThat(context).hasFailed();
                  assertThat(messages(context.getStartupFailure()))
                          .contains("axon.dlq.processing-groups.billing-view.retry.max-attempts=4")
                          .contains("axon.dlq.processing-groups.BillingView.retry.max-attempts=6")
                          .contains("keep one of them");
              });
        runner.withPropertyValues("axon.dlq.processing-groups.billing-view.retry.max-attempts=6",
                                  "axon.dlq.processing-groups.BillingView.retry.max-attempts=6")
              .run(context -> {
                  assertThat(context).hasNotFailed();
                  assertThat(maxAttempts(context.getBean(GroupSettingsResolver.class), BillingViewHandler.GROUP))
                          .isEqualTo(6);
              });
    }

    /**
     * Axon allows groups that differ only in case; Spring Boot binds their keys alike (even exact ones), so a key of
     * theirs fails the start instead of tuning both.
     */
    @Test
    void aKeyOfGroupsThatDifferOnlyInCaseFailsTheStartNamingThem() {
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_LEDGER_ENABLED", "false"))
                .withBean(UpperCaseLedgerHandler.class)
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(messages(context.getStartupFailure()))
                            .contains("processing groups [Ledger, ledger] differ only in case")
                            .contains("AXON_DLQ_PROCESSINGGROUPS_LEDGER_ENABLED");
                });
        runner.withBean(UpperCaseLedgerHandler.class)
              .withPropertyValues("axon.dlq.processing-groups.ledger.retry.max-attempts=4",
                                  "axon.dlq.processing-groups.Ledger.retry.max-attempts=6")
              .run(context -> assertThat(messages(context.getStartupFailure()))
                      .contains("processing groups [Ledger, ledger] differ only in case"));
        // without a key of theirs, both groups run with the top-level settings
        runner.withBean(UpperCaseLedgerHandler.class).run(context -> assertThat(context).hasNotFailed());
    }

    private static int maxAttempts(GroupSettingsResolver settings, String group) {
        return ((ExponentialBackoffRetryPolicy) settings.settings(group).retryPolicy()).maxAttempts();
    }

    @Test
    void aGroupsEntryThatNamesNoGroupFailsTheStart() {
        runner.withPropertyValues("axon.dlq.groups=BillingView,billing-view").run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .contains("axon.dlq.groups entry [billing-view] names no processing group")
                    .contains(ORDERS, BillingViewHandler.GROUP);
        });
        runner.withPropertyValues("axon.dlq.groups=billingview").run(context -> assertThat(
                messages(context.getStartupFailure())).contains("axon.dlq.groups entry [billingview]")
                                                      .contains("[BillingView] differs only in case"));
        runner.withPropertyValues("axon.dlq.groups=BillingView").run(context -> {
            assertThat(context).hasNotFailed();
            DeadLetteringEventProcessingModule module = context.getBean(DeadLetteringEventProcessingModule.class);
            assertThat(module.isEnabled(BillingViewHandler.GROUP)).isTrue();
            assertThat(module.isEnabled(ORDERS)).isFalse();
        });
    }

    @Test
    void aMisspelledKeyFailsTheStart() {
        runner.withPropertyValues("axon.dlq.processing-groups.BilingView.retry.max-attempts=5").run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .contains("axon.dlq.processing-groups.BilingView (from "
                                      + "\"axon.dlq.processing-groups.BilingView.retry.max-attempts\"")
                    .contains("names no processing group")
                    .contains("Its processing groups: [BillingView, " + ORDERS + ", ledger]");
        });
    }

    /**
     * A setting a group's overrides do not have (the retry's max-attempts written one level up, a misspelled backoff)
     * fails the start naming it, in a file and as an environment variable, rather than leaving the group on the
     * defaults without a word; a dotted group in brackets is checked the same way.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"axon.dlq.processing-groups.ledger.max-attempts=1",
            "axon.dlq.processing-groups.BillingView.retry.backof.initial=1s",
            "axon.dlq.processing-groups[" + ORDERS + "].limits.max-letters=5"})
    void aSettingAGroupDoesNotHaveFailsTheStartNamingIt(String property) {
        String name = property.substring(0, property.indexOf('='));
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .contains(name)
                    .contains("is no setting of a processing group");
        });
    }

    @Test
    void aSettingAGroupDoesNotHaveFailsTheStartAlsoAsAnEnvironmentVariable() {
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_LEDGER_MAXATTEMPTS", "1")).run(context -> {
            assertThat(context).hasFailed();
            assertThat(messages(context.getStartupFailure()))
                    .contains("AXON_DLQ_PROCESSINGGROUPS_LEDGER_MAXATTEMPTS")
                    .contains("is no setting of a processing group");
        });
        withEnvironment(Map.of("AXON_DLQ_PROCESSINGGROUPS_LEDGER_RETRY_MAXATTEMPTS", "1"))
                .run(context -> assertThat(context).hasNotFailed());
    }

    private static Duration delayAfter(GroupSettings settings, int failedAttempts) {
        RetryDecision decision = settings.retryPolicy().decide(GenericEventMessage.asEventMessage("x"),
                                                               new IllegalStateException(), failedAttempts);
        return decision.delay();
    }

    private static long letters(AssertableApplicationContext context) {
        return new JdbcTemplate(context.getBean(DataSource.class))
                .queryForObject("SELECT COUNT(*) FROM axon_dlq_letter", Long.class);
    }
}
