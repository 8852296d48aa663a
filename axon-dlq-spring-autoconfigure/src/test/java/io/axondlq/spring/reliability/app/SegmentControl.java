package io.axondlq.spring.reliability.app;

import org.axonframework.config.Configuration;
import org.axonframework.eventhandling.StreamingEventProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Test-only operator of the {@value ReliabilityProjection#GROUP} processor's segments, for the crash suite: split,
 * merge, release or claim a segment of this node's pooled processor while it runs, as an operator (or Axon's own
 * rebalancing) would. Answers {@code {"outcome": "true" | "false" | "failed: ..."}}: the processor's own answer, or
 * why it refused (e.g. the other node holds the segment).
 */
@RestController
@RequestMapping("/reliability/segments")
public class SegmentControl {

    private static final Logger logger = LoggerFactory.getLogger(SegmentControl.class);
    private static final long TIMEOUT_SECONDS = 60;

    private final Configuration axon;

    public SegmentControl(Configuration axon) {
        this.axon = axon;
    }

    @PostMapping("/{segment}/split")
    public Map<String, String> split(@PathVariable int segment) {
        return answer("split", segment, processor().splitSegment(segment));
    }

    @PostMapping("/{segment}/merge")
    public Map<String, String> merge(@PathVariable int segment) {
        return answer("merge", segment, processor().mergeSegment(segment));
    }

    /**
     * Claims the segment, lifting this node's block on it: a merge that could not claim the sibling leaves both
     * segments blocked on this node for a minute (Axon's {@code MergeTask}), and this node's own one unprocessed.
     */
    @PostMapping("/{segment}/claim")
    public Map<String, String> claim(@PathVariable int segment) {
        return answer("claim", segment, processor().claimSegment(segment));
    }

    /** Gives the segment up and keeps this node from claiming it again for {@code millis}. */
    @PostMapping("/{segment}/release")
    public Map<String, String> release(@PathVariable int segment, @RequestParam long millis) {
        processor().releaseSegment(segment, millis, TimeUnit.MILLISECONDS);
        logger.info("Segment {} of [{}]: release for {} ms requested", segment, ReliabilityProjection.GROUP, millis);
        return Map.of("outcome", "true");
    }

    private StreamingEventProcessor processor() {
        return axon.eventProcessingConfiguration()
                   .eventProcessor(ReliabilityProjection.GROUP, StreamingEventProcessor.class)
                   .orElseThrow(() -> new IllegalStateException("no streaming processor "
                                                                        + ReliabilityProjection.GROUP));
    }

    private static Map<String, String> answer(String what, int segment, CompletableFuture<Boolean> result) {
        String outcome;
        try {
            outcome = String.valueOf(result.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            outcome = "failed: " + e.getCause();
        } catch (TimeoutException e) {
            outcome = "failed: no answer after " + TIMEOUT_SECONDS + " s";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = "failed: interrupted";
        }
        logger.info("Segment {} of [{}]: {} -> {}", segment, ReliabilityProjection.GROUP, what, outcome);
        return Map.of("outcome", outcome);
    }
}
