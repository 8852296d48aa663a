package io.axondlq.spring.web;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.AxonDlqAutoConfiguration;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.GroupSettingsResolver.InvalidDeadLetterPropertyException;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.jobs.RetryJobRunner;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.spring.properties.Rest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Lazy;
import org.springframework.util.ClassUtils;
import org.springframework.util.StringUtils;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * The REST operations API under {@code axon.dlq.rest.base-path} (default {@code /dead-letters}): listings, letter
 * details, redelivery, eviction, export, retry jobs, the audit log and the API's OpenAPI document, with errors as
 * problem+json and, when Spring Security is on the classpath, authorization by
 * {@code axon.dlq.security.read-authority / write-authority} (wired by
 * {@code io.axondlq.spring.web.security.AxonDlqWebSecurityAutoConfiguration}, which depends on this package, never the
 * other way round). Every write must be JSON or carry {@value CrossSiteRequestGuard#HEADER}
 * ({@link CrossSiteRequestGuard}).
 * <p>
 * On in servlet web applications with a dead-letter store; see {@link RestApiEnabledCondition} for
 * {@code axon.dlq.rest.enabled}.
 */
@AutoConfiguration(after = {AxonDlqAutoConfiguration.class, WebMvcAutoConfiguration.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass({DispatcherServlet.class, DeadLetterStore.class})
@ConditionalOnProperty(prefix = "axon.dlq", name = "enabled", matchIfMissing = true)
@Conditional(RestApiEnabledCondition.class)
@ConditionalOnBean({DeadLetterStore.class, AuditLog.class, DeadLetterOperations.class})
@EnableConfigurationProperties(AxonDlqProperties.class)
@Import(AxonDlqWebMvcConfiguration.class)
public class AxonDlqWebAutoConfiguration {

    /**
     * Order of the {@link CrossSiteRequestGuard} among the interceptors. Authorization
     * ({@code io.axondlq.spring.web.security}) runs before it, so that an anonymous caller gets 401 whatever it sent.
     */
    public static final int CROSS_SITE_GUARD_ORDER = 100;
    /** Order of the authorization interceptor: before the cross-site guard. */
    public static final int AUTHORIZATION_ORDER = 50;
    /** Order of the {@link PathParameterGuard}: after authorization, so an anonymous caller still gets 401. */
    public static final int PATH_PARAMETER_GUARD_ORDER = 75;

    private static final Logger logger = LoggerFactory.getLogger(AxonDlqWebAutoConfiguration.class);

    public AxonDlqWebAutoConfiguration(AxonDlqProperties properties, ApplicationContext context) {
        validate(properties.getRest());
        String basePath = properties.getRest().getBasePath();
        if (!ClassUtils.isPresent(RestApiEnabledCondition.SECURITY_CLASS, context.getClassLoader())) {
            logger.warn("axon-dlq REST API is enabled at [{}] without Spring Security: anyone who can reach it can "
                                + "read, export, redeliver and erase dead letters", basePath);
        } else {
            if (!StringUtils.hasText(properties.getSecurity().getReadAuthority())) {
                logger.warn("axon-dlq REST API at [{}] does not check reads: axon.dlq.security.read-authority is "
                                    + "empty, so anyone who can reach it can read and export dead letters", basePath);
            }
            if (!StringUtils.hasText(properties.getSecurity().getWriteAuthority())) {
                logger.warn("axon-dlq REST API at [{}] does not check writes: axon.dlq.security.write-authority is "
                                    + "empty, so anyone who can reach it can redeliver and erase dead letters",
                            basePath);
            }
        }
    }

    static void validate(Rest rest) {
        String basePath = rest.getBasePath();
        if (basePath == null || !basePath.startsWith("/") || basePath.length() < 2 || basePath.endsWith("/")
                || basePath.contains("//") || basePath.contains("{") || basePath.contains("}")
                || basePath.contains("*") || basePath.contains("?") || basePath.contains(";")
                || basePath.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.rest.base-path must be a path such as /dead-letters (leading slash, no trailing "
                            + "slash, no patterns), was [" + basePath + "]", null);
        }
        if (rest.getMaxPageSize() < 1 || rest.getMaxPageSize() > 10_000) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.rest.max-page-size must be between 1 and 10000, was " + rest.getMaxPageSize(), null);
        }
    }

    @Bean
    @ConditionalOnMissingBean
    public KnownProcessingGroups axonDlqKnownProcessingGroups(
            DeadLetterStore store, ObjectProvider<DeadLetteringEventProcessingModule> module) {
        return new KnownProcessingGroups(store, module);
    }

    @Bean
    @ConditionalOnMissingBean
    public OperatorActor axonDlqOperatorActor() {
        return new OperatorActor();
    }

    @Bean
    @ConditionalOnMissingBean
    public OperatorAudit axonDlqOperatorAudit(OperatorActor actor) {
        return new OperatorAudit(actor);
    }

    @Bean
    @ConditionalOnMissingBean
    public LetterViews axonDlqLetterViews(AxonDlqProperties properties, ObjectProvider<PayloadClearance> clearance) {
        // The clearance comes from io.axondlq.spring.web.security (the payload authority) when Spring Security is on.
        return new LetterViews(new LetterMasking(properties.getExport().getMaskedMetadataKeys()),
                               new PayloadPolicy(properties, clearance.getIfUnique(() -> PayloadClearance.NOBODY)));
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterQueryController axonDlqQueryController(DeadLetterStore store, KnownProcessingGroups groups,
                                                            LetterViews views, ObjectProvider<RetryJobs> retryJobs,
                                                            AxonDlqProperties properties,
                                                            DeadLetterOperations operations, OperatorActor actor) {
        return new DeadLetterQueryController(store, groups, views, retryJobs, properties, operations, actor);
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterOperationsController axonDlqOperationsController(DeadLetterOperations operations,
                                                                      KnownProcessingGroups groups,
                                                                      OperatorActor actor, LetterViews views) {
        return new DeadLetterOperationsController(operations, groups, actor, views.policy());
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterExportController axonDlqExportController(DeadLetterOperations operations,
                                                              KnownProcessingGroups groups, LetterViews views,
                                                              OperatorActor actor, AxonDlqProperties properties,
                                                              ExportSlots exportSlots) {
        return new DeadLetterExportController(operations, groups, views, actor, properties, exportSlots);
    }

    @Bean
    @ConditionalOnMissingBean
    // Eager also under spring.main.lazy-initialization: creating it creates this configuration, whose constructor
    // checks axon.dlq.rest.*, so a bad value fails the start, not the first request.
    @Lazy(false)
    public ExportSlots axonDlqExportSlots(AxonDlqProperties properties) {
        int maxConcurrent = properties.getExport().getMaxConcurrent();
        if (maxConcurrent < 0) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.export.max-concurrent must be 0 or more, was " + maxConcurrent, null);
        }
        return new ExportSlots(maxConcurrent);
    }

    @Bean
    @ConditionalOnMissingBean
    public RetryJobController axonDlqRetryJobController(ObjectProvider<RetryJobs> retryJobs,
                                                        ObjectProvider<RetryJobRunner> runner,
                                                        KnownProcessingGroups groups, OperatorAudit audit,
                                                        AxonDlqProperties properties, LetterViews views) {
        return new RetryJobController(retryJobs, groups, audit, properties, views.policy(),
                                      () -> runner.getIfAvailable() != null);
    }

    @Bean
    @ConditionalOnMissingBean
    public AuditController axonDlqAuditController(DeadLetterOperations operations, AxonDlqProperties properties) {
        return new AuditController(operations, properties);
    }

    @Bean
    @ConditionalOnMissingBean
    public OpenApiController axonDlqOpenApiController(AxonDlqProperties properties) {
        return new OpenApiController(properties.getRest().getBasePath());
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterFallbackController axonDlqFallbackController(ApplicationContext context) {
        return new DeadLetterFallbackController(context);
    }

    /** Registers {@code interceptor} for the API's paths only (the base path and below), at {@code order}. */
    public static WebMvcConfigurer onApi(HandlerInterceptor interceptor, AxonDlqProperties properties, int order) {
        String basePath = properties.getRest().getBasePath();
        return new WebMvcConfigurer() {
            @Override
            public void addInterceptors(InterceptorRegistry registry) {
                registry.addInterceptor(interceptor).addPathPatterns(basePath, basePath + "/**").order(order);
            }
        };
    }
}
