package io.axondlq.spring.web;

import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.properties.PayloadMode;
import jakarta.servlet.http.HttpServletRequest;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * How much of a letter a request may see. Exports always follow {@code axon.dlq.export.payload}; letter details and
 * listings follow it too, unless the caller holds the payload authority ({@link PayloadClearance}), so that a reader
 * cannot get one letter at a time what an export would mask.
 */
public class PayloadPolicy {

    private final Supplier<PayloadMode> configured;
    private final PayloadClearance clearance;

    /** Reads the mode from the properties at every request, so that it follows a change of them. */
    public PayloadPolicy(AxonDlqProperties properties, PayloadClearance clearance) {
        this(() -> properties.getExport().getPayload(), clearance);
    }

    public PayloadPolicy(Supplier<PayloadMode> configured, PayloadClearance clearance) {
        this.configured = Objects.requireNonNull(configured, "configured");
        this.clearance = clearance == null ? PayloadClearance.NOBODY : clearance;
    }

    /** Everything in full, for everyone: {@code export.payload=full} and no clearance needed. */
    public static PayloadPolicy full() {
        return new PayloadPolicy(() -> PayloadMode.FULL, PayloadClearance.NOBODY);
    }

    /** The configured mode, as exports use it. */
    public PayloadMode exportMode() {
        PayloadMode mode = configured.get();
        return mode == null ? PayloadMode.FULL : mode;
    }

    /** The mode for a letter detail or listing read by the caller of {@code request}. */
    public PayloadMode readMode(HttpServletRequest request) {
        PayloadMode mode = exportMode();
        // Only consult the clearance (an authorization decision) when it can change anything.
        return mode == PayloadMode.FULL || clearance.granted(request) ? PayloadMode.FULL : mode;
    }
}
