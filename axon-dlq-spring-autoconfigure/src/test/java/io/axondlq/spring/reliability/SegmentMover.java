package io.axondlq.spring.reliability;

import org.axonframework.eventhandling.Segment;
import org.springframework.jdbc.core.JdbcTemplate;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Moves the pooled processor's segments between the two nodes while the workload runs, on a seeded schedule: every
 * step (after a seeded pause) asks a seeded node to split, merge or release one of the segments it holds, through the
 * node application's test-only {@code /reliability/segments} endpoint (which calls the processor's
 * {@code splitSegment}, {@code mergeSegment}, {@code releaseSegment}). Who holds what is read from Axon's token table.
 * <ul>
 * <li><b>Split</b> a held segment, while there are fewer than {@value #MAX_SEGMENTS} segments. Axon releases both
 * halves; either node may claim them.</li>
 * <li><b>Merge</b> a held segment with its sibling (same mask), while there are more than {@value #MIN_SEGMENTS}.
 * When the other node holds the sibling, it is first asked to release it (a merge must claim both): that alone moves
 * the sibling across. A merge that cannot claim the sibling would leave its own segment unclaimed for Axon's 60 s
 * block, so the mover does not ask for one: it skips a sibling that a dead incarnation still holds; when the sibling
 * is claimed elsewhere in between all the same, it has the node claim both segments back, which lifts the block.</li>
 * <li><b>Release</b> a held segment for 1 to 3 s: the other node claims it, if it has room (the nodes claim a share of
 * the current segment count, see {@code ClaimShare}).</li>
 * </ul>
 * The random choices are drawn the same way whatever the state, so a seed gives the same schedule of choices; which
 * segment they land on depends on timing, as the kills do. A node that is down (killed, restarting) is skipped.
 */
final class SegmentMover implements Runnable {

    static final int INITIAL_SEGMENTS = 4;
    static final int MIN_SEGMENTS = 2;
    static final int MAX_SEGMENTS = 8;
    private static final Duration SIBLING_RELEASE = Duration.ofSeconds(3);

    enum Kind {
        SPLIT,
        MERGE,
        RELEASE
    }

    private final Random random;
    private final List<Kind> kinds;
    private final JdbcTemplate jdbc;
    private final String processor;
    private final NodeProcess a;
    private final NodeProcess b;
    private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();
    private final List<String> failureSamples = Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicInteger steps = new AtomicInteger();
    private volatile boolean active;
    private volatile boolean stopped;
    private volatile int minSegmentsSeen = INITIAL_SEGMENTS;
    private volatile int maxSegmentsSeen = INITIAL_SEGMENTS;

    SegmentMover(long seed, Set<Kind> kinds, JdbcTemplate jdbc, String processor, NodeProcess a, NodeProcess b) {
        this.random = new Random(seed);
        this.kinds = List.copyOf(new TreeSet<>(kinds));
        this.jdbc = jdbc;
        this.processor = processor;
        this.a = a;
        this.b = b;
    }

    /** {@code split,merge,release}, any subset, or {@code none}. */
    static Set<Kind> kinds(String list) {
        Set<Kind> kinds = EnumSet.noneOf(Kind.class);
        for (String kind : list.split(",")) {
            if (!kind.isBlank() && !kind.trim().equalsIgnoreCase("none")) {
                kinds.add(Kind.valueOf(kind.trim().toUpperCase()));
            }
        }
        return kinds;
    }

    /** Moves only while active (and some kind of move is enabled); the schedule's pauses keep running. */
    void active(boolean active) {
        this.active = active;
    }

    void stop() {
        stopped = true;
    }

    @Override
    public void run() {
        while (!stopped) {
            try {
                Thread.sleep(400 + random.nextInt(1200));
                if (active && !stopped && !kinds.isEmpty()) {
                    step();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable e) {
                failure.set(e);
                return;
            }
        }
    }

    private void step() throws InterruptedException {
        // Every choice is drawn up front, whatever the state, so the seed fixes the sequence of choices.
        Kind kind = kinds.get(random.nextInt(kinds.size()));
        boolean favourMissing = random.nextBoolean();
        boolean first = random.nextBoolean();
        int pick = random.nextInt(1 << 20);
        long releaseMillis = 1000 + random.nextInt(2000);
        steps.incrementAndGet();
        if (favourMissing) {
            // Every kind must happen at least once in a short run: half the steps go to one that has not yet.
            kind = kinds.stream().filter(k -> succeeded(k) == 0).findFirst().orElse(kind);
        }

        Map<Integer, String> owners = owners();
        int count = owners.size();
        minSegmentsSeen = Math.min(minSegmentsSeen, count);
        maxSegmentsSeen = Math.max(maxSegmentsSeen, count);
        if (kind == Kind.SPLIT && count >= MAX_SEGMENTS) {
            kind = kinds.contains(Kind.MERGE) ? Kind.MERGE : Kind.RELEASE;
        } else if (kind == Kind.MERGE && count <= MIN_SEGMENTS) {
            kind = kinds.contains(Kind.SPLIT) ? Kind.SPLIT : Kind.RELEASE;
        }
        NodeProcess node = first ? a : b;
        NodeProcess other = first ? b : a;
        List<Integer> held = candidates(kind, node, owners);
        if (held.isEmpty() || !node.healthy()) {
            NodeProcess swap = node;
            node = other;
            other = swap;
            held = candidates(kind, node, owners);
        }
        if (held.isEmpty() || !node.healthy()) {
            count(kind, "skipped (no node up holding a candidate)");
            return;
        }
        int segment = held.get(pick % held.size());
        switch (kind) {
            case SPLIT -> call(kind, node, "/reliability/segments/" + segment + "/split");
            case RELEASE -> call(kind, node, "/reliability/segments/" + segment + "/release?millis=" + releaseMillis);
            case MERGE -> merge(node, other, segment, owners);
        }
    }

    private void merge(NodeProcess node, NodeProcess other, int segment, Map<Integer, String> owners)
            throws InterruptedException {
        int sibling = segmentOf(segment, owners).mergeableSegmentId();
        String siblingOwner = owners.get(sibling);
        if (siblingOwner != null && !node.owns(siblingOwner)) {
            if (!other.owns(siblingOwner) || !other.healthy()) {
                count(Kind.MERGE, "skipped (sibling held by a node that is down)");
                return;
            }
            String released = call(Kind.RELEASE, other, "/reliability/segments/" + sibling + "/release?millis="
                    + SIBLING_RELEASE.toMillis());
            if (!"true".equals(released)) {
                return;
            }
            long deadline = System.nanoTime() + SIBLING_RELEASE.toNanos();
            while (other.owns(owners().get(sibling)) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            String now = owners().get(sibling);
            if (now != null && !node.owns(now)) {
                count(Kind.MERGE, "skipped (sibling not released in time)");
                return;
            }
        }
        String merged = call(Kind.MERGE, node, "/reliability/segments/" + segment + "/merge");
        if (merged != null && merged.startsWith("failed")) {
            // The sibling was claimed elsewhere meanwhile: lift the minute-long block the failed merge left behind.
            call(Kind.MERGE, node, "/reliability/segments/" + segment + "/claim", "recovered by claim");
            call(Kind.MERGE, node, "/reliability/segments/" + sibling + "/claim", "recovered by claim");
        }
    }

    /** The node's segments that the operation applies to: for a merge, those whose sibling has the same mask. */
    private static List<Integer> candidates(Kind kind, NodeProcess node, Map<Integer, String> owners) {
        List<Integer> held = new ArrayList<>();
        owners.forEach((segment, owner) -> {
            if (node.owns(owner) && (kind != Kind.MERGE || mergeable(segment, owners))) {
                held.add(segment);
            }
        });
        return held;
    }

    private static boolean mergeable(int segment, Map<Integer, String> owners) {
        Segment self = segmentOf(segment, owners);
        int sibling = self.mergeableSegmentId();
        return sibling != segment && owners.containsKey(sibling) && self.isMergeableWith(segmentOf(sibling, owners));
    }

    private static Segment segmentOf(int segment, Map<Integer, String> owners) {
        return Segment.computeSegment(segment, owners.keySet().stream().mapToInt(Integer::intValue).toArray());
    }

    /** @return the node's outcome ("true", "false", "failed: ..."), or null when the call was cut off */
    private String call(Kind kind, NodeProcess node, String path) {
        return call(kind, node, path, null);
    }

    private String call(Kind kind, NodeProcess node, String path, String label) {
        Rest.Response response;
        try {
            response = new Rest(node.port).postAbsolute(path);
        } catch (UncheckedIOException e) {
            // the node was killed under us
            count(kind, "cut off by a kill");
            return null;
        }
        if (response.status() != 200) {
            throw new AssertionError("POST " + path + " on " + node + ": " + response);
        }
        String outcome = response.json().path("outcome").asText();
        if (label != null) {
            count(kind, label + " " + outcome.replaceAll(":.*", ""));
        } else if (outcome.startsWith("failed")) {
            count(kind, "failed");
            if (failureSamples.size() < 5) {
                failureSamples.add(kind + " " + path + " on " + node.nodeId() + ": " + outcome);
            }
        } else {
            count(kind, outcome);
        }
        return outcome;
    }

    private void count(Kind kind, String outcome) {
        outcomes.computeIfAbsent(kind.name().toLowerCase() + " " + outcome, k -> new AtomicInteger())
                .incrementAndGet();
    }

    /** Segment → owner (null when unclaimed), from Axon's token table. */
    private Map<Integer, String> owners() {
        Map<Integer, String> owners = new TreeMap<>();
        jdbc.query("SELECT segment, owner FROM tokenentry WHERE processorname = ?",
                   rs -> {
                       owners.put(rs.getInt(1), rs.getString(2));
                   }, processor);
        return owners;
    }

    // --- results ------------------------------------------------------------------------------------------------

    /** Successful operations of a kind, as the processor answered them. */
    int succeeded(Kind kind) {
        return outcome(kind, "true");
    }

    int outcome(Kind kind, String outcome) {
        AtomicInteger n = outcomes.get(kind.name().toLowerCase() + " " + outcome);
        return n == null ? 0 : n.get();
    }

    Map<String, Integer> outcomes() {
        Map<String, Integer> copy = new TreeMap<>();
        outcomes.forEach((k, v) -> copy.put(k, v.get()));
        return copy;
    }

    List<String> failureSamples() {
        return List.copyOf(failureSamples);
    }

    Throwable failure() {
        return failure.get();
    }

    int steps() {
        return steps.get();
    }

    int minSegmentsSeen() {
        return minSegmentsSeen;
    }

    int maxSegmentsSeen() {
        return maxSegmentsSeen;
    }
}
