package io.axondlq.spring.web;

import io.axondlq.spring.AxonDlqProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.web.servlet.DispatcherServletPath;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

import java.time.Clock;
import java.util.List;

/**
 * The REST API's Spring MVC plumbing, imported by {@link AxonDlqWebAutoConfiguration}: its own message converter
 * ({@link ApiMessageConverter}), the problem+json advice, the multipart filter, the path-parameter guard and the
 * cross-site request guard.
 */
@Configuration(proxyBeanMethods = false)
class AxonDlqWebMvcConfiguration {

    /** Put first, so the API's records are read and written by the API's own mapper, whatever the host configures. */
    @Bean
    @ConditionalOnMissingBean(name = "axonDlqMessageConverterConfigurer")
    public WebMvcConfigurer axonDlqMessageConverterConfigurer() {
        return new WebMvcConfigurer() {
            @Override
            public void extendMessageConverters(List<HttpMessageConverter<?>> converters) {
                converters.add(0, new ApiMessageConverter());
            }
        };
    }

    @Bean
    @ConditionalOnMissingBean
    public DeadLetterProblemAdvice axonDlqProblemAdvice(AxonDlqProperties properties) {
        return new DeadLetterProblemAdvice(properties.getClaim().getLease(), Clock.systemUTC());
    }

    @Bean
    @ConditionalOnMissingBean
    public CrossSiteRequestGuard axonDlqCrossSiteRequestGuard() {
        return new CrossSiteRequestGuard();
    }

    /**
     * Mapped to the API's paths only (behind the dispatcher servlet's prefix, if any), so the host's own endpoints
     * still take multipart bodies.
     */
    @Bean
    @ConditionalOnMissingBean(name = "axonDlqMultipartRequestGuard")
    public FilterRegistrationBean<MultipartRequestGuard> axonDlqMultipartRequestGuard(
            AxonDlqProperties properties, ObjectProvider<DispatcherServletPath> dispatcherServletPath) {
        String basePath = properties.getRest().getBasePath();
        DispatcherServletPath servletPath = dispatcherServletPath.getIfAvailable();
        String apiPath = servletPath == null ? basePath : servletPath.getRelativePath(basePath);
        FilterRegistrationBean<MultipartRequestGuard> registration =
                new FilterRegistrationBean<>(new MultipartRequestGuard());
        // "/x/*" matches "/x" itself too.
        registration.addUrlPatterns(apiPath + "/*");
        return registration;
    }

    @Bean
    @ConditionalOnMissingBean
    public PathParameterGuard axonDlqPathParameterGuard() {
        return new PathParameterGuard();
    }

    @Bean
    @ConditionalOnMissingBean(name = "axonDlqPathParameterConfigurer")
    public WebMvcConfigurer axonDlqPathParameterConfigurer(PathParameterGuard guard, AxonDlqProperties properties) {
        return AxonDlqWebAutoConfiguration.onApi(guard, properties,
                                                 AxonDlqWebAutoConfiguration.PATH_PARAMETER_GUARD_ORDER);
    }

    @Bean
    @ConditionalOnMissingBean(name = "axonDlqCrossSiteRequestConfigurer")
    public WebMvcConfigurer axonDlqCrossSiteRequestConfigurer(CrossSiteRequestGuard guard,
                                                              AxonDlqProperties properties) {
        return AxonDlqWebAutoConfiguration.onApi(guard, properties,
                                                 AxonDlqWebAutoConfiguration.CROSS_SITE_GUARD_ORDER);
    }

}
