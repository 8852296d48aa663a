package io.axondlq.spring.web.security;

import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.GroupSettingsResolver.InvalidDeadLetterPropertyException;
import io.axondlq.spring.properties.Security;
import io.axondlq.spring.web.AxonDlqWebAutoConfiguration;
import io.axondlq.spring.web.DeadLetterRestEndpoint;
import io.axondlq.spring.web.PayloadClearance;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.security.access.hierarchicalroles.RoleHierarchy;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Authorization of every axon-dlq endpoint by {@code axon.dlq.security.*}, with Spring Security on the classpath and
 * the REST API on (its endpoints are beans). It plugs into the API of {@code io.axondlq.spring.web}, which knows nothing
 * of this package. The application's {@link RoleHierarchy} bean, if it defines exactly one, is honoured.
 */
@AutoConfiguration(after = AxonDlqWebAutoConfiguration.class)
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(name = "org.springframework.security.core.context.SecurityContextHolder")
@ConditionalOnBean(DeadLetterRestEndpoint.class)
@EnableConfigurationProperties(AxonDlqProperties.class)
public class AxonDlqWebSecurityAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterAuthorizationInterceptor axonDlqAuthorizationInterceptor(
            AxonDlqProperties properties, ObjectProvider<RoleHierarchy> roleHierarchy) {
        Security security = properties.getSecurity();
        String challenge = security.getChallenge();
        if (challenge == null || challenge.isBlank() || challenge.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new InvalidDeadLetterPropertyException(
                    "axon.dlq.security.challenge must be a WWW-Authenticate challenge such as Basic realm=\"axon-dlq\" "
                            + "or Bearer (not empty, no control characters)", null);
        }
        return new DeadLetterAuthorizationInterceptor(security.getReadAuthority(), security.getWriteAuthority(),
                                                      roleHierarchy.getIfUnique(), challenge);
    }

    /** Who sees letters in full although {@code axon.dlq.export.payload} masks them. */
    @Bean
    @ConditionalOnMissingBean(PayloadClearance.class)
    public AuthorityPayloadClearance axonDlqPayloadClearance(AxonDlqProperties properties,
                                                             ObjectProvider<RoleHierarchy> roleHierarchy) {
        return new AuthorityPayloadClearance(properties.getSecurity().getPayloadAuthority(),
                                             roleHierarchy.getIfUnique());
    }

    @Bean
    @ConditionalOnMissingBean(name = "axonDlqAuthorizationConfigurer")
    public WebMvcConfigurer axonDlqAuthorizationConfigurer(DeadLetterAuthorizationInterceptor interceptor,
                                                           AxonDlqProperties properties) {
        return AxonDlqWebAutoConfiguration.onApi(interceptor, properties,
                                                 AxonDlqWebAutoConfiguration.AUTHORIZATION_ORDER);
    }
}
