package io.axondlq.sample.faults;

/** Thrown by a projection handler when a {@link Fault} matches its event. */
public class InjectedFaultException extends RuntimeException {

    public InjectedFaultException(String message) {
        super(message);
    }
}
