package io.axondlq.core.redelivery;

/**
 * The processing group runs with axon-dlq on this node, but its event processor is not running here (shut down by
 * the application or an operator, not started yet, or stopped by an error): background work (retry jobs, automatic
 * retry) runs none of its handlers here and leaves the group to nodes where it runs. A subtype of
 * {@link UnknownProcessingGroupException}, so that whoever leaves an unknown group to other nodes does the same here.
 */
public class ProcessorNotRunningException extends UnknownProcessingGroupException {

    public ProcessorNotRunningException(String processingGroup, String processorName) {
        super(processingGroup, "The event processor [" + processorName + "] of processing group [" + processingGroup
                + "] is not running on this node");
    }
}
