package io.axondlq.core.operations;

/**
 * A processing group name that no group can have (missing, blank, holding U+0000, longer than the group columns),
 * passed to {@link DeadLetterOperations}. Nothing was changed or audited.
 */
public class InvalidProcessingGroupException extends IllegalArgumentException {

    private final String processingGroup;

    public InvalidProcessingGroupException(String processingGroup, String reason) {
        super("Processing group name " + reason);
        this.processingGroup = processingGroup;
    }

    /** The name as given; may be null. */
    public String processingGroup() {
        return processingGroup;
    }
}
