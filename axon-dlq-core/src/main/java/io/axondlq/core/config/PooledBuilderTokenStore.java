package io.axondlq.core.config;

import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.pooled.PooledStreamingEventProcessor;
import org.axonframework.eventhandling.tokenstore.TokenStore;

import java.lang.reflect.Field;

/**
 * The token store set on a {@link PooledStreamingEventProcessor.Builder}, which has no getter for it (Axon 4.13): read
 * from its field, so that one set by an application's customization can still report claims.
 */
final class PooledBuilderTokenStore {

    private static volatile Field tokenStore;

    private PooledBuilderTokenStore() {
    }

    static TokenStore read(PooledStreamingEventProcessor.Builder builder) {
        try {
            Field field = tokenStore;
            if (field == null) {
                field = field(); // looked up on first use: a missing field is this clear error, not a class init error
                tokenStore = field;
            }
            return (TokenStore) field.get(builder);
        } catch (IllegalAccessException e) {
            throw unreadable(e);
        }
    }

    private static Field field() {
        try {
            Field field = PooledStreamingEventProcessor.Builder.class.getDeclaredField("tokenStore");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw unreadable(e);
        }
    }

    // Without it a pooled processor could run without claim reports (I2): refuse rather than run unprotected.
    private static AxonConfigurationException unreadable(Exception cause) {
        return new AxonConfigurationException(
                "axon-dlq cannot read the token store of Axon's PooledStreamingEventProcessor.Builder (an Axon version "
                        + "it was not built for?): it needs it to learn of the processor's segment claims", cause);
    }
}
