package io.axondlq.jdbc;

/**
 * Makes "the parked sequences of one segment" an index range scan. Axon puts a sequence in segment {@code id} of
 * mask {@code m} when {@code (hashCode & m) == id}, a condition on the low bits of the hash that no index can serve.
 * The store keeps the hash bit-reversed (as an unsigned 32-bit value): the low bits become the high bits, so every
 * segment is one contiguous range of that value.
 * <p>
 * A sequence whose identifier hashes by identity (see {@link IdentityMethods}; a map or collection holding such an
 * element included) lands in a different segment in every JVM, and one whose key holds a class alone (for an
 * identity-based toString, also as a map's or collection's part) spans values of different hashes; such a sequence
 * is stored with {@link #EVERY_SEGMENT}, outside every range, and the parked-set query of every segment includes it.
 * They are few (Axon's {@code SequentialPolicy} makes one), so every segment holding their keys costs little.
 */
final class Segments {

    private Segments() {
    }

    /** Inclusive bounds of the stored segment key. */
    record Range(long from, long to) {
    }

    /** Stored for a sequence that every segment must see as parked: its hash differs between JVMs. */
    static final long EVERY_SEGMENT = -1;

    /** The value stored for a sequence with this identifier. */
    static long key(Object sequenceIdentifier) {
        if (IdentityMethods.hashCodeIsIdentityBased(sequenceIdentifier)
                || IdentityMethods.toStringIsIdentityBased(sequenceIdentifier)) {
            return EVERY_SEGMENT;
        }
        return key(sequenceIdentifier.hashCode());
    }

    /** The value stored for a sequence whose identifier has this {@code hashCode}. */
    static long key(int hash) {
        return Integer.toUnsignedLong(Integer.reverse(hash));
    }

    /**
     * @throws IllegalArgumentException unless {@code mask} is {@code 2^n - 1} (as every Axon segment mask is) and
     *                                  {@code segmentId} fits in it
     */
    static Range range(int segmentId, int mask) {
        if ((mask & (mask + 1)) != 0) {
            throw new IllegalArgumentException("Segment mask must be 2^n - 1, was " + mask);
        }
        if ((segmentId & ~mask) != 0) {
            throw new IllegalArgumentException("Segment id " + segmentId + " does not fit mask " + mask);
        }
        long from = key(segmentId);
        return new Range(from, from + (1L << (32 - Integer.bitCount(mask))) - 1);
    }
}
