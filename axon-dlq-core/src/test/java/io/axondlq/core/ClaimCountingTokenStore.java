package io.axondlq.core;

import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;
import org.axonframework.eventhandling.tokenstore.jdbc.JdbcTokenStore;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Axon's JDBC token store, counting the claims the processor makes through it: a test can then relate what the
 * invoker does per claim (load a segment's parked set) to the claims that really happened, which a loaded machine
 * multiplies (a claim that lapsed and is taken again, a tracking worker reopening its stream).
 */
final class ClaimCountingTokenStore extends JdbcTokenStore {

    private final AtomicInteger claims = new AtomicInteger();

    ClaimCountingTokenStore(JdbcTokenStore.Builder builder) {
        super(builder);
    }

    /** Successful claims since the last {@link #resetClaims()}. */
    int claims() {
        return claims.get();
    }

    void resetClaims() {
        claims.set(0);
    }

    @Override
    public TrackingToken fetchToken(String processorName, int segment) throws UnableToClaimTokenException {
        TrackingToken token = super.fetchToken(processorName, segment);
        claims.incrementAndGet();
        return token;
    }

    @Override
    public TrackingToken fetchToken(String processorName, Segment segment) throws UnableToClaimTokenException {
        TrackingToken token = super.fetchToken(processorName, segment);
        claims.incrementAndGet();
        return token;
    }
}
