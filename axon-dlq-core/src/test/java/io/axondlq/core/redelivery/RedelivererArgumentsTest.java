package io.axondlq.core.redelivery;

import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupDeadLetterQueue;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.serialization.json.JacksonSerializer;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A redeliverer built by hand (its constructor is public) is checked when it is built, as the module's builder is,
 * not at the first redelivery: a null part was a NullPointerException mid-redelivery, a lease the store cannot take
 * (below 1 ms, which the store reads in milliseconds) an IllegalArgumentException from the store at every claim.
 */
class RedelivererArgumentsTest {

    private final DeadLetterStore store = JdbcDeadLetterStore.builder()
                                                             .dataSource(new JdbcDataSource())
                                                             .eventSerializer(JacksonSerializer.defaultSerializer())
                                                             .genericSerializer(JacksonSerializer.defaultSerializer())
                                                             .dialect(io.axondlq.jdbc.SqlDialect.H2)
                                                             .build();
    private final DeadLetterGroups groups = new DeadLetterGroups();
    private final Duration lease = Duration.ofSeconds(30);
    private final DeadLetterObserver observer = DeadLetterObserver.NOOP;

    @Test
    void aRedelivererRefusesMissingParts() {
        assertThatThrownBy(() -> new DeadLetterRedeliverer(null, groups, lease, observer))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("store");
        assertThatThrownBy(() -> new DeadLetterRedeliverer(store, null, lease, observer))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("groups");
        assertThatThrownBy(() -> new DeadLetterRedeliverer(store, groups, null, observer))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("lease");
        assertThatThrownBy(() -> new DeadLetterRedeliverer(store, groups, lease, null))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("observer");
        assertThatThrownBy(() -> new DeadLetterRedeliverer(store, groups, lease, observer, null))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("stopSignal");
    }

    /** The module's stop signal is checked by its builder, as its other parts are. */
    @Test
    void theModuleRefusesAMissingRedeliveryStopSignal() {
        assertThatThrownBy(() -> DeadLetteringEventProcessingModule.builder().redeliveryStopSignal(null))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("redeliveryStopSignal");
    }

    @Test
    void aRedelivererRefusesALeaseTheStoreCannotTake() {
        for (Duration bad : new Duration[]{Duration.ZERO, Duration.ofSeconds(-1), Duration.ofNanos(999_999)}) {
            assertThatThrownBy(() -> new DeadLetterRedeliverer(store, groups, bad, observer))
                    .as("lease %s", bad)
                    .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("lease");
        }
    }

    /** The module's lease and a queue's claim go to the same store: at least 1 ms there too. */
    @Test
    void theModuleAndTheQueueRefuseALeaseBelowOneMillisecond() {
        assertThatThrownBy(() -> DeadLetteringEventProcessingModule.builder().leaseDuration(Duration.ofNanos(999_999)))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("leaseDuration");
        assertThatThrownBy(() -> GroupDeadLetterQueue.create(store, "g", Duration.ofNanos(999_999), 10))
                .isInstanceOf(AxonConfigurationException.class).hasMessageContaining("claimDuration");
    }
}
