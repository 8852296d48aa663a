package io.axondlq.core;

/**
 * Carries an {@link Error} a handler threw (the event's failure, see
 * {@link DeadLetteringEventHandlerInvoker#isEventFailure}) to the processor when the attempt can only be undone by
 * rolling the batch back: Axon's processors replay a batch that failed with an exception, whereas on an Error the
 * tracking processor stops in its error state and a pooled processor's work package stalls. The replay concludes the
 * event with the Error itself as the cause.
 */
final class HandlerErrorException extends RuntimeException {

    HandlerErrorException(Error error) {
        super("An event handler threw " + error + "; the batch is rolled back and replayed", error);
    }
}
