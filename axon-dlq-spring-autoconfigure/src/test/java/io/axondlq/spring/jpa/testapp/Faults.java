package io.axondlq.spring.jpa.testapp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Which orders the projection fails for, and how; "fixing the handler" is {@link #heal}. */
public class Faults {

    public enum Fault {
        /** The handler throws after saving its entities. */
        EXCEPTION,
        /** The handler's last save violates a NOT NULL constraint when flushed by the repository. */
        DATABASE_ERROR,
        /**
         * The handler's last save violates a UNIQUE constraint that only the next flush reports (the handler
         * returns normally): the failure must still be this event's, not the next event's or the commit's.
         */
        FLUSH_ERROR
    }

    private final Map<String, Fault> faults = new ConcurrentHashMap<>();

    public void inject(String orderId, Fault fault) {
        faults.put(orderId, fault);
    }

    public void heal(String orderId) {
        faults.remove(orderId);
    }

    public Fault of(String orderId) {
        return faults.get(orderId);
    }
}
