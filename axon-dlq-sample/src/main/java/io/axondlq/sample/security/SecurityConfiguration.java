package io.axondlq.sample.security;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Two demo users over HTTP basic: {@code viewer/viewer} may read the dead-letter queue ({@value #READ}),
 * {@code admin/admin} may also operate it ({@value #WRITE}: redeliver, retry jobs, erase) and switch faults.
 * axon-dlq checks these authorities itself ({@code axon.dlq.security.read-authority} / {@code write-authority});
 * this chain only requires a login for everything but the open parts:
 * <ul>
 *     <li>open: the bank API {@code /accounts/**}, {@code /actuator/health} and {@code /actuator/prometheus}
 *     (for a scraper without credentials), and {@code /}, which redirects to the dashboard;</li>
 *     <li>admin only: the fault switch {@code /faults/**};</li>
 *     <li>any logged-in user: everything else ({@code /dead-letters/**}, where axon-dlq checks the authorities,
 *     the dashboard {@code /dead-letters/ui/} included, {@code /actuator/metrics}).</li>
 * </ul>
 * CSRF protection is off: requests are authenticated one by one (HTTP basic, no session), and axon-dlq's API refuses
 * any write that is neither JSON nor marked {@code X-Axon-DLQ-Request}, which a page of another site cannot send with
 * the browser's remembered credentials. A host with a session login keeps CSRF on with the cookie token the dashboard
 * sends back (see the README, Security).
 * The passwords are demo values in plain text: never do this outside a sample.
 */
@Configuration(proxyBeanMethods = false)
public class SecurityConfiguration {

    public static final String READ = "dlq-read";
    public static final String WRITE = "dlq-write";

    @Bean
    public SecurityFilterChain sampleSecurity(HttpSecurity http) throws Exception {
        http.csrf(csrf -> csrf.disable())
            .sessionManagement(session -> session.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
            .httpBasic(Customizer.withDefaults())
            .authorizeHttpRequests(requests -> requests
                    .requestMatchers("/accounts", "/accounts/**").permitAll()
                    .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/prometheus").permitAll()
                    .requestMatchers("/faults", "/faults/**").hasAuthority(WRITE)
                    .requestMatchers("/error").permitAll()
                    .requestMatchers(HttpMethod.GET, "/").permitAll()
                    .anyRequest().authenticated());
        return http.build();
    }

    @Bean
    public UserDetailsService demoUsers() {
        return new InMemoryUserDetailsManager(
                User.withUsername("viewer").password("{noop}viewer").authorities(READ).build(),
                User.withUsername("admin").password("{noop}admin").authorities(READ, WRITE).build());
    }
}
