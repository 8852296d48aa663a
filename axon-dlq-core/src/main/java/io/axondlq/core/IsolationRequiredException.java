package io.axondlq.core;

/**
 * Thrown by a group invoker whose handler failed unprotected in a checkpointed batch: the processor invoker rolls
 * back to the checkpoint, re-runs the batch since it and isolates the failing event. Never escapes to the processor.
 */
final class IsolationRequiredException extends RuntimeException {

    IsolationRequiredException(Throwable failure) {
        super("Handler failed after the batch checkpoint; isolating the event", failure, false, false);
    }
}
