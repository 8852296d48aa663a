package io.axondlq.core.store;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;

/**
 * The name of this JVM in leases, attempt history and job ownership when none is configured. One definition, so the
 * store, the invoker and the background work of one node name it alike unless told otherwise.
 */
public final class NodeId {

    private NodeId() {
    }

    /** {@code host:pid}; the host part is {@code unknown-host} when the host name cannot be resolved. */
    public static String local() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + ":" + ManagementFactory.getRuntimeMXBean().getPid();
    }
}
