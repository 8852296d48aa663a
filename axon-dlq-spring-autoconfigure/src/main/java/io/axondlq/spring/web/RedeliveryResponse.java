package io.axondlq.spring.web;

import io.axondlq.core.redelivery.RedeliveryResult;

/** The body of a sequence redelivery ({@code .../redeliver}, {@code redeliver-oldest}, {@code redeliver-sequence}). */
public record RedeliveryResponse(String processingGroup,
                                 String sequenceKey,
                                 String outcome,
                                 int redelivered,
                                 long remaining,
                                 String stoppedAtLetterId,
                                 String failureType,
                                 String failureMessage) {

    static RedeliveryResponse of(RedeliveryResult result) {
        return new RedeliveryResponse(result.processingGroup(), result.sequenceKey(), result.outcome().name(),
                                      result.redelivered(), result.remaining(),
                                      result.stoppedAtLetterId() == null ? null
                                              : result.stoppedAtLetterId().toString(),
                                      result.failureType(), result.failureMessage());
    }
}
