package io.axondlq.spring.reliability.app;

/**
 * Which events fail, decided by a seeded hash of (aggregate, sequence number) alone, so the test process and every node
 * agree without talking to each other, and a run is reproducible from its seed.
 * <ul>
 * <li>{@link Fault#PERMANENT}: about {@code permanentPercent}% of events fail on every attempt, live and on redelivery,
 * until the {@code faults_fixed} table says they are fixed; every event of an aggregate whose id starts with
 * {@link #POISON_PREFIX} does too.</li>
 * <li>{@link Fault#TRANSIENT}: about {@code transientPercent}% of events fail on their first attempt on a node only.</li>
 * </ul>
 */
public final class FaultPlan {

    /** Aggregates with this prefix fail permanently, whatever the hash says (hand-made letters in the REST tests). */
    public static final String POISON_PREFIX = "poison-";

    public enum Fault {
        NONE,
        PERMANENT,
        TRANSIENT
    }

    private final long seed;
    private final int permanentPerMille;
    private final int transientPerMille;

    public FaultPlan(long seed, double permanentPercent, double transientPercent) {
        this.seed = seed;
        this.permanentPerMille = (int) Math.round(permanentPercent * 10);
        this.transientPerMille = (int) Math.round(transientPercent * 10);
    }

    public Fault fault(String aggregateId, long seq) {
        if (aggregateId.startsWith(POISON_PREFIX)) {
            return Fault.PERMANENT;
        }
        int bucket = (int) Math.floorMod(mix(seed ^ mix(aggregateId.hashCode() * 0x9E3779B97F4A7C15L + seq)), 1000L);
        if (bucket < permanentPerMille) {
            return Fault.PERMANENT;
        }
        if (bucket < permanentPerMille + transientPerMille) {
            return Fault.TRANSIENT;
        }
        return Fault.NONE;
    }

    /** SplitMix64's finalizer: every input bit affects every output bit. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
