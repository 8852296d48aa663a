package io.axondlq.spring.properties;

import java.util.ArrayList;
import java.util.List;

/** JSON export. */
public class Export {

    /**
     * How payloads (and cause messages, stack traces, diagnostics) are exported; letter details and listings
     * follow it too for callers without axon.dlq.security.payload-authority.
     */
    private PayloadMode payload = PayloadMode.FULL;

    /**
     * Metadata keys whose values are replaced by "***" in exports, letter details and listings, for every caller
     * and payload mode: compared ignoring case, at any depth (also inside nested objects and arrays). Metadata
     * that can be read neither as JSON nor by the application's serializer is then omitted.
     */
    private List<String> maskedMetadataKeys = new ArrayList<>();

    /**
     * How many exports may stream at the same time on this node (each holds a request thread and a database
     * connection for its whole length); one more is refused with 429 and a Retry-After header. 0 turns exports
     * off.
     */
    private int maxConcurrent = 2;

    public PayloadMode getPayload() { return payload; }
    public void setPayload(PayloadMode payload) { this.payload = payload; }
    public List<String> getMaskedMetadataKeys() { return maskedMetadataKeys; }
    public void setMaskedMetadataKeys(List<String> keys) { this.maskedMetadataKeys = keys; }
    public int getMaxConcurrent() { return maxConcurrent; }
    public void setMaxConcurrent(int maxConcurrent) { this.maxConcurrent = maxConcurrent; }
}
