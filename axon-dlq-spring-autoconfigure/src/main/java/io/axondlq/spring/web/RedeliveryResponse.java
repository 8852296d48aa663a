package io.axondlq.spring.web;

import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.spring.properties.PayloadMode;

import java.util.List;
import java.util.UUID;

/**
 * The body of a sequence redelivery ({@code .../redeliver}, {@code redeliver-oldest}, {@code redeliver-sequence}).
 * {@code droppedByUpcaster}: ids of the letters resolved without handling because the upcaster chain drops their event.
 * {@code failureMessage} follows the caller's payload mode ({@link PayloadPolicy#readMode}), as a letter's cause does.
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

    /** The failure's message masked unless {@code mode} is {@code FULL}: it may quote the payload. */
    static RedeliveryResponse of(RedeliveryResult result, PayloadMode mode) {
        return new RedeliveryResponse(result.processingGroup(), result.sequenceKey(), result.outcome().name(),
                                      result.redelivered(), result.remaining(),
                                      result.stoppedAtLetterId() == null ? null
                                              : result.stoppedAtLetterId().toString(),
                                      result.failureType(),
                                      mode == PayloadMode.FULL ? result.failureMessage()
                                              : LetterMasking.maskMessage(result.failureMessage()),
                                      result.droppedByUpcaster().stream().map(UUID::toString).toList());
    }
}
