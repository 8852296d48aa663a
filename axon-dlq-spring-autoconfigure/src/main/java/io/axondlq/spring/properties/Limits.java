package io.axondlq.spring.properties;

/** Queue bounds; a full queue stalls the segment rather than dropping events. */
public class Limits {

    /** Parked sequences one processing group may hold. */
    private Integer maxSequences = 10_000;

    /** Letters one sequence may hold. */
    private Integer maxSequenceSize = 10_000;

    public Integer getMaxSequences() { return maxSequences; }
    public void setMaxSequences(Integer maxSequences) { this.maxSequences = maxSequences; }
    public Integer getMaxSequenceSize() { return maxSequenceSize; }
    public void setMaxSequenceSize(Integer maxSequenceSize) { this.maxSequenceSize = maxSequenceSize; }
}
