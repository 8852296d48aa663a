package io.axondlq.core.store;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.deadletter.Cause;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.GenericDeadLetter;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A letter about to be stored. Its cause fields are cleaned and cut here ({@link StoredText}), its event's fields by
 * the store when it serializes the event, so that every letter is storable.
 * <p>
 * Either a failed event ({@code parked == false}, with its cause and attempt history) or an event parked behind an
 * earlier failure of its sequence ({@code parked == true}, no cause, zero attempts).
 */
public record LetterDraft(Object sequenceIdentifier,
                          EventMessage<?> message,
                          String causeType,
                          String causeMessage,
                          String causeStackTrace,
                          int attempts,
                          List<AttemptRecord> history,
                          MetaData diagnostics,
                          Instant enqueuedAt,
                          Instant lastTouched,
                          boolean parked) {

    public LetterDraft {
        Objects.requireNonNull(sequenceIdentifier, "sequenceIdentifier");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(enqueuedAt, "enqueuedAt");
        Objects.requireNonNull(lastTouched, "lastTouched");
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts must be >= 0, was " + attempts);
        }
        causeType = Causes.type(causeType);
        causeMessage = Causes.truncateMessage(causeMessage);
        causeStackTrace = Causes.stackTrace(causeStackTrace);
        history = history == null ? List.of() : List.copyOf(history);
        diagnostics = diagnostics == null ? MetaData.emptyInstance() : diagnostics;
    }

    /** An event that failed its last attempt; {@code history} holds one record per failed attempt. */
    public static LetterDraft failed(Object sequenceIdentifier, EventMessage<?> message, Throwable cause,
                                     List<AttemptRecord> history) {
        Instant now = GenericDeadLetter.clock.instant();
        return new LetterDraft(sequenceIdentifier, message, cause.getClass().getName(), cause.getMessage(),
                               Causes.stackTrace(cause), Math.max(1, history.size()), history,
                               MetaData.emptyInstance(), now, now, false);
    }

    /** An event set aside unhandled because an earlier event of its sequence is dead-lettered. */
    public static LetterDraft parked(Object sequenceIdentifier, EventMessage<?> message) {
        Instant now = GenericDeadLetter.clock.instant();
        return new LetterDraft(sequenceIdentifier, message, null, null, null, 0, List.of(),
                               MetaData.emptyInstance(), now, now, true);
    }

    /** Adapts a letter built by Axon (for instance by Axon's own dead-lettering invoker). */
    public static LetterDraft of(Object sequenceIdentifier, DeadLetter<? extends EventMessage<?>> letter) {
        Cause cause = letter.cause().orElse(null);
        String stackTrace = cause instanceof Throwable t && t.getCause() != null ? Causes.stackTrace(t.getCause()) : null;
        return new LetterDraft(sequenceIdentifier, letter.message(),
                               cause == null ? null : cause.type(), cause == null ? null : cause.message(),
                               stackTrace, cause == null ? 0 : 1, List.of(), letter.diagnostics(),
                               letter.enqueuedAt(), letter.lastTouched(), cause == null);
    }
}
