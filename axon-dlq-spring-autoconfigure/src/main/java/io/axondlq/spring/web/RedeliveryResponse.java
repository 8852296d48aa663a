package io.axondlq.spring.web;

import io.axondlq.core.redelivery.RedeliveryResult;

import java.util.List;
import java.util.UUID;

/**
 * The body of a sequence redelivery ({@code .../redeliver}, {@code redeliver-oldest}, {@code redeliver-sequence}).
 * {@code droppedByUpcaster}: ids of the letters resolved without handling because the upcaster chain drops their event.
 */
public record RedeliveryResponse(String processingGroup,
                                 String sequenceKey,
                                 String outcome,
                                 int redelivered,
                                 long remaining,
                                 String stoppedAtLetterId,
                                 String failureType,
                                 String failureMessage,
                                 List<String> droppedByUpcaster) {

    static RedeliveryResponse of(RedeliveryResult result) {
        return new RedeliveryResponse(result.processingGroup(), result.sequenceKey(), result.outcome().name(),
                                      result.redelivered(), result.remaining(),
                                      result.stoppedAtLetterId() == null ? null
                                              : result.stoppedAtLetterId().toString(),
                                      result.failureType(), result.failureMessage(),
                                      result.droppedByUpcaster().stream().map(UUID::toString).toList());
    }
}
