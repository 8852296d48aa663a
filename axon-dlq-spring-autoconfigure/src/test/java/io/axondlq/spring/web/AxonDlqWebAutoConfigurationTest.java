package io.axondlq.spring.web;

import io.axondlq.spring.AxonDlqAutoConfigurationTest;
import io.axondlq.spring.properties.PayloadMode;
import io.axondlq.spring.web.security.AuthorityPayloadClearance;
import io.axondlq.spring.web.security.DeadLetterAuthorizationInterceptor;
import org.axonframework.eventsourcing.eventstore.EventStorageEngine;
import org.axonframework.eventsourcing.eventstore.inmemory.InMemoryEventStorageEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.security.access.hierarchicalroles.RoleHierarchyImpl;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.util.MultiValueMap;
import org.springframework.web.method.HandlerMethod;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the REST API appears (and with which authorities), what backs off, the start-up warnings, and that bad REST
 * properties fail the start.
 */
@ExtendWith(OutputCaptureExtension.class)
class AxonDlqWebAutoConfigurationTest {

    private static final List<Class<?>> API = List.of(
            DeadLetterQueryController.class, DeadLetterOperationsController.class, DeadLetterExportController.class,
            RetryJobController.class, AuditController.class, OpenApiController.class,
            DeadLetterFallbackController.class, DeadLetterProblemAdvice.class, KnownProcessingGroups.class,
            LetterViews.class, OperatorAudit.class);

    private final WebApplicationContextRunner runner = new WebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WebMvcAutoConfiguration.class))
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON)
            .withConfiguration(AxonDlqAutoConfigurationTest.AXON_DLQ)
            .withBean(EventStorageEngine.class, InMemoryEventStorageEngine::new)
            .withPropertyValues("axon.axonserver.enabled=false", "spring.datasource.generate-unique-name=true");

    @Test
    void aServletApplicationWithSpringSecurityGetsTheApiCheckingTheDefaultAuthorities(CapturedOutput output) {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).hasSingleBean(type));
            assertThat(context).hasSingleBean(DeadLetterAuthorizationInterceptor.class);
            assertThat(context).hasSingleBean(CrossSiteRequestGuard.class);
            assertThat(context).hasSingleBean(PathParameterGuard.class);
            DeadLetterAuthorizationInterceptor interceptor = context.getBean(DeadLetterAuthorizationInterceptor.class);
            assertThat(interceptor.isActive()).isTrue();
            assertThat(interceptor.readAuthority()).isEqualTo("DLQ_READ");
            assertThat(interceptor.writeAuthority()).isEqualTo("DLQ_ADMIN");
        });
        assertThat(output).doesNotContain("does not check").doesNotContain("without Spring Security");
    }

    @Test
    void configuredAuthoritiesReplaceTheDefaults() {
        runner.withPropertyValues("axon.dlq.security.read-authority=ROLE_OPS",
                                  "axon.dlq.security.write-authority=ROLE_OPS_ADMIN").run(context -> {
            assertThat(context).hasNotFailed();
            DeadLetterAuthorizationInterceptor interceptor = context.getBean(DeadLetterAuthorizationInterceptor.class);
            assertThat(interceptor.readAuthority()).isEqualTo("ROLE_OPS");
            assertThat(interceptor.writeAuthority()).isEqualTo("ROLE_OPS_ADMIN");
        });
    }

    @Test
    void thePayloadAuthorityIsItsOwnPropertyAndEmptyExemptsNobody() {
        runner.run(context -> {
            assertThat(context.getBean(AuthorityPayloadClearance.class).authority()).isEqualTo("DLQ_PAYLOAD");
            assertThat(context.getBean(LetterViews.class).policy().exportMode())
                    .isEqualTo(PayloadMode.FULL);
        });
        runner.withPropertyValues("axon.dlq.security.payload-authority=ROLE_PRIVACY_OFFICER",
                                  "axon.dlq.export.payload=masked").run(context -> {
            assertThat(context.getBean(AuthorityPayloadClearance.class).authority()).isEqualTo("ROLE_PRIVACY_OFFICER");
            assertThat(context.getBean(LetterViews.class).policy().exportMode())
                    .isEqualTo(PayloadMode.MASKED);
        });
        runner.withPropertyValues("axon.dlq.security.payload-authority=", "axon.dlq.export.payload=none")
              .run(context -> {
                  AuthorityPayloadClearance clearance = context.getBean(AuthorityPayloadClearance.class);
                  assertThat(clearance.authority()).isNull();
                  SecurityContextHolder.getContext().setAuthentication(new UsernamePasswordAuthenticationToken(
                          "all-powerful", "n/a", List.of(new SimpleGrantedAuthority("DLQ_PAYLOAD"),
                                                         new SimpleGrantedAuthority("ROLE_DLQ_PAYLOAD"))));
                  try {
                      MockHttpServletRequest request = new MockHttpServletRequest("GET", "/dead-letters/letters/x");
                      assertThat(clearance.granted(request)).isFalse();
                      assertThat(context.getBean(LetterViews.class).policy().readMode(request))
                              .isEqualTo(PayloadMode.NONE);
                  } finally {
                      SecurityContextHolder.clearContext();
                  }
              });
    }

    @Test
    void anEmptyAuthorityDisablesItsCheckWithAWarning(CapturedOutput output) {
        runner.withPropertyValues("axon.dlq.security.read-authority=").run(context -> {
            assertThat(context).hasNotFailed();
            DeadLetterAuthorizationInterceptor interceptor = context.getBean(DeadLetterAuthorizationInterceptor.class);
            assertThat(interceptor.readAuthority()).isNull();
            assertThat(interceptor.writeAuthority()).isEqualTo("DLQ_ADMIN");
        });
        assertThat(output).contains("does not check reads").doesNotContain("does not check writes");
        runner.withPropertyValues("axon.dlq.security.read-authority=", "axon.dlq.security.write-authority=")
              .run(context -> assertThat(context.getBean(DeadLetterAuthorizationInterceptor.class).isActive())
                      .isFalse());
        assertThat(output).contains("does not check writes");
    }

    @Test
    void theApplicationsRoleHierarchyAndChallengeAreUsed() {
        runner.withBean(RoleHierarchy.class, () -> RoleHierarchyImpl.fromHierarchy("ROLE_OPS > ROLE_DLQ_ADMIN"))
              .withPropertyValues("axon.dlq.security.challenge=Bearer realm=\"ops\"").run(context -> {
                  assertThat(context).hasNotFailed();
                  DeadLetterAuthorizationInterceptor interceptor =
                          context.getBean(DeadLetterAuthorizationInterceptor.class);
                  assertThat(interceptor.challenge()).isEqualTo("Bearer realm=\"ops\"");
                  SecurityContextHolder.getContext().setAuthentication(new UsernamePasswordAuthenticationToken(
                          "ops", "n/a", List.of(new SimpleGrantedAuthority("ROLE_OPS"))));
                  try {
                      assertThat(interceptor.preHandle(
                              new MockHttpServletRequest("DELETE", "/dead-letters/letters/x"),
                              new MockHttpServletResponse(),
                              new HandlerMethod(context.getBean(DeadLetterOperationsController.class),
                                                DeadLetterOperationsController.class.getMethod(
                                                        "evictLetter", String.class, MultiValueMap.class,
                                                        HttpServletRequest.class)))).isTrue();
                  } finally {
                      SecurityContextHolder.clearContext();
                  }
              });
    }

    @Test
    void aChallengeThatIsNoHeaderValueFailsTheStart() {
        runner.withPropertyValues("axon.dlq.security.challenge=").run(context -> {
            assertThat(context).hasFailed();
            assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure()))
                    .contains("axon.dlq.security.challenge");
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
    void withoutSpringSecurityItIsOffUnlessAskedFor(CapturedOutput output) {
        WebApplicationContextRunner noSecurity = runner.withClassLoader(
                new FilteredClassLoader(SecurityContextHolder.class));
        noSecurity.run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).doesNotHaveBean(type));
        });
        assertThat(output).doesNotContain("without Spring Security");
        noSecurity.withPropertyValues("axon.dlq.rest.enabled=true").run(context -> {
            assertThat(context).hasNotFailed();
            API.forEach(type -> assertThat(context).hasSingleBean(type));
            assertThat(context).doesNotHaveBean(DeadLetterAuthorizationInterceptor.class);
            // writes are guarded against cross-site requests with or without Spring Security
            assertThat(context).hasSingleBean(CrossSiteRequestGuard.class);
            assertThat(context).hasSingleBean(PathParameterGuard.class);
        });
        assertThat(output).contains("axon-dlq REST API is enabled at [/dead-letters] without Spring Security");
    }

    /** The multipart filter covers the API's paths only, behind the dispatcher servlet's prefix when it has one. */
    @Test
    void theMultipartGuardIsMappedToTheApisPathsOnly() {
        runner.run(context -> assertThat(multipartGuardPatterns(context)).containsExactly("/dead-letters/*"));
        runner.withPropertyValues("axon.dlq.rest.base-path=/ops/dlq")
              .run(context -> assertThat(multipartGuardPatterns(context)).containsExactly("/ops/dlq/*"));
        runner.withConfiguration(AutoConfigurations.of(DispatcherServletAutoConfiguration.class))
              .withPropertyValues("spring.mvc.servlet.path=/api")
              .run(context -> assertThat(multipartGuardPatterns(context)).containsExactly("/api/dead-letters/*"));
    }

    @SuppressWarnings("unchecked")
    private static java.util.Collection<String> multipartGuardPatterns(
            org.springframework.context.ApplicationContext context) {
        return ((FilterRegistrationBean<MultipartRequestGuard>) context.getBean("axonDlqMultipartRequestGuard"))
                .getUrlPatterns();
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
            "axon.dlq.export.max-concurrent=-1    | axon.dlq.export.max-concurrent",
    })
    void badRestPropertiesFailTheStartNamingTheProperty(String property, String named) {
        runner.withPropertyValues(property).run(context -> {
            assertThat(context).hasFailed();
            assertThat(AxonDlqAutoConfigurationTest.messages(context.getStartupFailure())).contains(named);
        });
    }
}
