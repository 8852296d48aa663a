package io.axondlq.sample;

import io.axondlq.sample.faults.FaultSwitch;
import io.axondlq.sample.projection.ActivityProjection;
import io.axondlq.sample.projection.BalanceProjection;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

import java.util.Set;

/**
 * A small bank: an event-sourced {@code Account} aggregate, two projections on pooled streaming processors
 * ({@code account-balances}, {@code account-activity}), a fault switch to break them on purpose, and axon-dlq's REST
 * API, metrics and health to see and repair what broke. See the module's README.
 */
@SpringBootApplication
public class SampleApplication {

    public static void main(String[] args) {
        // Axon's anonymous usage reporting calls home at start-up; a sample may run offline. Set the property to
        // false (or remove this line) to keep it.
        if (System.getProperty("axoniq.update-checker.disabled") == null) {
            System.setProperty("axoniq.update-checker.disabled", "true");
        }
        System.setProperty("disable-axoniq-console-message", "true");
        SpringApplication.run(SampleApplication.class, args);
    }

    /** The projections consult the switch; it may break exactly their groups. */
    @Bean
    public FaultSwitch faultSwitch() {
        return new FaultSwitch(Set.of(BalanceProjection.GROUP, ActivityProjection.GROUP));
    }
}
