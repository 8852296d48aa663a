package io.axondlq.core;

import io.axondlq.core.InvokerFixture.Options;
import org.axonframework.eventhandling.AbstractEventProcessor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The segment callbacks the engine relies on run when Axon drives the processor as users configure it: the
 * processor's invoker is axon-dlq's processor-level invoker, and every claim or release makes the next event of the
 * segment load its parked set again (one query), while a segment that stays put is served from memory (none), even
 * when another segment of the node moves.
 * Observed on the wire, through the module's real wiring, with real pooled and tracking processors.
 */
abstract class SegmentMoveWiringTest extends InvokerTestBase {

    @Override
    InvokerFixture newFixture() {
        return countedFixture();
    }

    private int parkedSetLoads() {
        return counting.countMatching("SELECT sequence_key FROM axon_dlq_sequence WHERE processing_group");
    }

    private String owner(int segment) {
        return fixture.jdbc.queryForObject("SELECT owner FROM TokenEntry WHERE processorName = ? AND segment = ?",
                                           String.class, InvokerFixture.PROCESSOR, segment);
    }

    /**
     * Publishes one event per aggregate of both segments and waits until all are handled and every one of the
     * {@code segments} segments there are (their number changes with splits and merges) is claimed and past the last
     * event: a segment claimed later (a tracking worker opens its stream, and fetches its token again, on its own
     * time) would reload the parked sets in the next round.
     */
    private void publishAndAwait(InvokerFixture f, int expectedRows, int segments) {
        f.publishRounds(1, "H0", "H1", "H2", "H3", "H4", "H5");
        eventually().untilAsserted(() -> assertThat(f.projectionRows()).isEqualTo(expectedRows));
        long head = f.headPosition();
        eventually().until(() -> f.processor().processingStatus().size() == segments
                && f.processor().processingStatus().values().stream().allMatch(
                s -> s.getCurrentPosition().orElse(-1) >= head));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ProcessorType.class, names = {"POOLED", "TRACKING"})
    void claimsAndReleasesThroughTheRealProcessorMakeTheParkedSetReload(ProcessorType type) throws Exception {
        InvokerFixture f = fixture.start(Options.of(type).segments(2));
        assertThat(((AbstractEventProcessor) f.processor()).eventHandlerInvoker())
                .as("the processor's invoker").isInstanceOf(DeadLetteringProcessorInvoker.class);
        DeadLetteringProcessorInvoker invoker =
                (DeadLetteringProcessorInvoker) ((AbstractEventProcessor) f.processor()).eventHandlerInvoker();
        publishAndAwait(f, 6, 2);
        assertThat(invoker.heldSegments()).as("claims reported by the token store").containsExactlyInAnyOrder(0, 1);

        int rows = roundServedFromMemory(f, 6, 2, "segments held: parked sets served from memory");

        // A release (and the claim that follows it) drops that segment's parked sets: its next events load them
        // again. Segment 1 stays put and keeps its set, unless its own claim is taken again meanwhile (a lapse).
        f.processor().releaseSegment(0, 1, TimeUnit.SECONDS);
        eventually().until(() -> owner(0) == null);
        assertThat(invoker.heldSegments()).as("the release reported by the token store").doesNotContain(0);
        counting.reset();
        f.tokenStore.resetClaims();
        publishAndAwait(f, rows += 6, 2);
        assertThat(parkedSetLoads()).as("after a release and a new claim of segment 0 (%d claims)",
                                        f.tokenStore.claims())
                                    .isBetween(1, Math.max(1, f.tokenStore.claims()));

        // A split (pooled: Axon releases the claim without calling segmentReleased; the claims of the new segments
        // are reported by the token store) or a merge (tracking: the merged token is processed per sub-segment).
        boolean pooled = type == ProcessorType.POOLED;
        assertThat(pooled ? f.processor().splitSegment(1).get(30, TimeUnit.SECONDS)
                          : f.processor().mergeSegment(0).get(30, TimeUnit.SECONDS)).isTrue();
        eventually().until(() -> f.processor().processingStatus().size() == (pooled ? 3 : 1));
        counting.reset();
        publishAndAwait(f, rows += 6, pooled ? 3 : 1);
        assertThat(parkedSetLoads()).as(pooled ? "after a split" : "after a merge").isPositive();
        // A merge deletes segment 1's token (reported as a release); a split adds segment 3, claimed here.
        assertThat(invoker.heldSegments()).as("held after the " + (pooled ? "split" : "merge"))
                                          .containsExactlyInAnyOrderElementsOf(pooled ? List.of(0, 1, 3) : List.of(0));

        roundServedFromMemory(f, rows, pooled ? 3 : 1, "settled again: from memory");
    }

    /**
     * Rounds of events until one is served without loading a parked set (at most 3): on a loaded machine a claim can
     * lapse or a tracking worker restart between rounds, which rightly reloads; a cache that never served from memory
     * fails every round. Returns the projection's rows after the last round.
     */
    private int roundServedFromMemory(InvokerFixture f, int rows, int segments, String description) {
        List<Integer> loads = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            counting.reset();
            rows += 6;
            publishAndAwait(f, rows, segments);
            loads.add(parkedSetLoads());
            if (loads.get(round) == 0) {
                return rows;
            }
        }
        throw new AssertionError(description + ": every round loaded parked sets " + loads);
    }
}
