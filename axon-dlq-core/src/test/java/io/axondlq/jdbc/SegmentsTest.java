package io.axondlq.jdbc;

import org.axonframework.eventhandling.Segment;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentsTest {

    record Line(String order, int line) {
    }

    /** A stable toString, an identity hashCode. */
    static final class Named {
        @Override
        public String toString() {
            return "named";
        }
    }

    @Test
    void sequencesWhoseHashDiffersBetweenJvmsAreStoredForEverySegment() {
        assertThat(Segments.key(new Object())).isEqualTo(Segments.EVERY_SEGMENT);
        assertThat(Segments.key(Thread.State.NEW)).as("Enum.hashCode is Object's").isEqualTo(Segments.EVERY_SEGMENT);
        assertThat(Segments.key(new Named())).isEqualTo(Segments.EVERY_SEGMENT);
        // Keyed by its class alone (identity toString): instances of different hashes share the key.
        assertThat(Segments.key(new SegmentsTest())).isEqualTo(Segments.EVERY_SEGMENT);
        assertThat(Segments.key("order-1")).isEqualTo(Segments.key("order-1".hashCode()));
        assertThat(Segments.key(new Line("o", 1))).isEqualTo(Segments.key(new Line("o", 1).hashCode()));
        for (Segment segment : Segment.splitBalanced(Segment.ROOT_SEGMENT, 7)) {
            Segments.Range range = Segments.range(segment.getSegmentId(), segment.getMask());
            assertThat(range.from()).isGreaterThan(Segments.EVERY_SEGMENT);
        }
    }

    @Test
    void aHashIsInTheRangeOfExactlyTheSegmentAxonAssignsItTo() {
        SplittableRandom random = new SplittableRandom(42);
        List<Integer> edgeCases = List.of(0, -1, 1, Integer.MIN_VALUE, Integer.MAX_VALUE);
        for (int splits : List.of(0, 1, 2, 5, 7, 31, 255)) {
            List<Segment> segments = Segment.splitBalanced(Segment.ROOT_SEGMENT, splits);
            for (int i = 0; i < 2_000 + edgeCases.size(); i++) {
                int hash = i < edgeCases.size() ? edgeCases.get(i) : random.nextInt();
                long key = Segments.key(hash);
                int containing = 0;
                for (Segment segment : segments) {
                    Segments.Range range = Segments.range(segment.getSegmentId(), segment.getMask());
                    boolean inRange = range.from() <= key && key <= range.to();
                    assertThat(inRange).as("hash %d, segment %s", hash, segment).isEqualTo(segment.matches(hash));
                    containing += inRange ? 1 : 0;
                }
                assertThat(containing).isEqualTo(1);
            }
        }
    }

    @Test
    void theRootSegmentCoversEveryKey() {
        Segments.Range root = Segments.range(0, 0);
        assertThat(root.from()).isZero();
        assertThat(root.to()).isEqualTo(0xFFFF_FFFFL);
        assertThat(Segments.range(5, -1)).isEqualTo(new Segments.Range(Segments.key(5), Segments.key(5)));
    }

    @Test
    void masksAxonNeverProducesAreRejected() {
        assertThatThrownBy(() -> Segments.range(0, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Segments.range(4, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Segments.range(-1, 3)).isInstanceOf(IllegalArgumentException.class);
    }
}
