package io.axondlq.sample.api;

import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.ViewControllerRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** http://localhost:8080/ opens axon-dlq's dashboard (served by axon-dlq at /dead-letters/ui/). */
@Configuration(proxyBeanMethods = false)
public class HomeRedirect implements WebMvcConfigurer {

    public static final String DASHBOARD = "/dead-letters/ui/";

    @Override
    public void addViewControllers(ViewControllerRegistry registry) {
        registry.addRedirectViewController("/", DASHBOARD);
    }
}
