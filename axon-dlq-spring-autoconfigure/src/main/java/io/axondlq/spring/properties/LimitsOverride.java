package io.axondlq.spring.properties;

/** Per-group limits override: every field is optional. */
public class LimitsOverride {

    /** Parked sequences this group may hold. */
    private Integer maxSequences;

    /** Letters one sequence of this group may hold. */
    private Integer maxSequenceSize;

    public Integer getMaxSequences() { return maxSequences; }
    public void setMaxSequences(Integer maxSequences) { this.maxSequences = maxSequences; }
    public Integer getMaxSequenceSize() { return maxSequenceSize; }
    public void setMaxSequenceSize(Integer maxSequenceSize) { this.maxSequenceSize = maxSequenceSize; }
}
