package io.axondlq.core.config;

import org.axonframework.eventhandling.Segment;
import org.axonframework.eventhandling.TrackingToken;
import org.axonframework.eventhandling.tokenstore.TokenStore;
import org.axonframework.eventhandling.tokenstore.UnableToClaimTokenException;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * A processor's token store that reports every claim this node makes and every claim it gives up. A claim is the one
 * moment a processor is sure to go through when a segment comes to this node (start, rebalancing, split, merge, a
 * claim that timed out elsewhere), while Axon tells the invoker about releases only on some paths.
 */
final class ClaimReportingTokenStore implements TokenStore {

    private final TokenStore delegate;
    private final IntConsumer claimed;
    private final IntConsumer released;

    ClaimReportingTokenStore(TokenStore delegate, IntConsumer claimed, IntConsumer released) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.claimed = Objects.requireNonNull(claimed, "claimed");
        this.released = Objects.requireNonNull(released, "released");
    }

    @Override
    public TrackingToken fetchToken(String processorName, int segment) throws UnableToClaimTokenException {
        TrackingToken token = delegate.fetchToken(processorName, segment);
        claimed.accept(segment);
        return token;
    }

    @Override
    public TrackingToken fetchToken(String processorName, Segment segment) throws UnableToClaimTokenException {
        TrackingToken token = delegate.fetchToken(processorName, segment);
        claimed.accept(segment.getSegmentId());
        return token;
    }

    // --- plain delegation -----------------------------------------------------------------------------------

    @Override
    public void initializeTokenSegments(String processorName, int segmentCount) {
        delegate.initializeTokenSegments(processorName, segmentCount);
    }

    @Override
    public void initializeTokenSegments(String processorName, int segmentCount, TrackingToken initialToken) {
        delegate.initializeTokenSegments(processorName, segmentCount, initialToken);
    }

    @Override
    public void storeToken(TrackingToken token, String processorName, int segment) {
        delegate.storeToken(token, processorName, segment);
    }

    @Override
    public void extendClaim(String processorName, int segment) {
        delegate.extendClaim(processorName, segment);
    }

    @Override
    public void releaseClaim(String processorName, int segment) {
        // Reported first: from here on another node may claim the segment.
        released.accept(segment);
        delegate.releaseClaim(processorName, segment);
    }

    @Override
    public void initializeSegment(TrackingToken token, String processorName, int segment) {
        delegate.initializeSegment(token, processorName, segment);
    }

    @Override
    public void deleteToken(String processorName, int segment) {
        released.accept(segment);
        delegate.deleteToken(processorName, segment);
    }

    @Override
    public boolean requiresExplicitSegmentInitialization() {
        return delegate.requiresExplicitSegmentInitialization();
    }

    @Override
    public int[] fetchSegments(String processorName) {
        return delegate.fetchSegments(processorName);
    }

    @Override
    public List<Segment> fetchAvailableSegments(String processorName) {
        return delegate.fetchAvailableSegments(processorName);
    }

    @Override
    public Optional<String> retrieveStorageIdentifier() {
        return delegate.retrieveStorageIdentifier();
    }
}
