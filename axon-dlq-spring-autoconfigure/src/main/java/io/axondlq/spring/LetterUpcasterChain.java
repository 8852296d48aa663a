package io.axondlq.spring;

import org.axonframework.config.Configuration;
import org.axonframework.serialization.upcasting.event.EventUpcaster;
import org.springframework.beans.factory.ObjectProvider;

/**
 * The upcaster chain dead letters are read through (see {@code JdbcDeadLetterStore.Builder#upcasterChain}). By default
 * Axon's own, {@link Configuration#upcasterChain()}: every {@link EventUpcaster} bean, in the order Axon applies them.
 * Declare a bean of this type to read letters through another chain, or through none ({@code () -> null}). Not an
 * {@link EventUpcaster} bean itself: Axon would register it into the chain it returns.
 */
@FunctionalInterface
public interface LetterUpcasterChain {

    /** The chain, or null to read letters as they were stored. */
    EventUpcaster upcasterChain();

    /** Axon's chain, looked up once Axon's configuration exists (letters are read only after start-up). */
    static LetterUpcasterChain axon(ObjectProvider<Configuration> configuration) {
        return new LetterUpcasterChain() {
            private volatile EventUpcaster chain;

            @Override
            public EventUpcaster upcasterChain() {
                EventUpcaster result = chain;
                if (result == null) {
                    try {
                        Configuration axon = configuration.getIfAvailable();
                        result = axon == null ? null : axon.upcasterChain();
                    } catch (RuntimeException stillStarting) {
                        return null; // Axon's configuration is being built: as stored, this once
                    }
                    chain = result;
                }
                return result;
            }
        };
    }
}
