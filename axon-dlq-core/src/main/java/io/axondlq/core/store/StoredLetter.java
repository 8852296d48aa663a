package io.axondlq.core.store;

import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.deadletter.Cause;
import org.axonframework.messaging.deadletter.DeadLetter;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.deadletter.ThrowableCause;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * A letter as read from the store. Implements Axon's {@link DeadLetter} so it flows through Axon's own invoker, and
 * carries everything operators see. The event is deserialized only when {@link #message()} is called.
 */
public final class StoredLetter implements DeadLetter<EventMessage<?>> {

    private final UUID id;
    private final String processingGroup;
    private final String sequenceKey;
    private final long sequenceIndex;
    private final SerializedEvent event;
    private final Instant enqueuedAt;
    private final Instant lastTouched;
    private final Cause cause;
    private final String causeStackTrace;
    private final int attempts;
    private final MetaData diagnostics;
    private final String correlationId;
    private final String traceId;
    private final boolean parked;
    private final EventReader reader;
    private volatile EventMessage<?> message;
    private volatile List<EventMessage<?>> messages;
    private volatile LetterReadability readability;

    public StoredLetter(UUID id, String processingGroup, String sequenceKey, long sequenceIndex,
                        SerializedEvent event, Instant enqueuedAt, Instant lastTouched, Cause cause,
                        String causeStackTrace, int attempts, MetaData diagnostics, String correlationId,
                        String traceId, boolean parked, EventReader reader) {
        this.id = Objects.requireNonNull(id, "id");
        this.processingGroup = Objects.requireNonNull(processingGroup, "processingGroup");
        this.sequenceKey = Objects.requireNonNull(sequenceKey, "sequenceKey");
        this.sequenceIndex = sequenceIndex;
        this.event = Objects.requireNonNull(event, "event");
        this.enqueuedAt = enqueuedAt;
        this.lastTouched = lastTouched;
        this.cause = cause;
        this.causeStackTrace = causeStackTrace;
        this.attempts = attempts;
        this.diagnostics = diagnostics == null ? MetaData.emptyInstance() : diagnostics;
        this.correlationId = correlationId;
        this.traceId = traceId;
        this.parked = parked;
        this.reader = Objects.requireNonNull(reader, "reader");
    }

    private StoredLetter(StoredLetter base, Instant lastTouched, Cause cause, String causeStackTrace,
                         MetaData diagnostics) {
        this(base.id, base.processingGroup, base.sequenceKey, base.sequenceIndex, base.event, base.enqueuedAt,
             lastTouched, cause, causeStackTrace, base.attempts, diagnostics, base.correlationId, base.traceId,
             base.parked, base.reader);
        this.message = base.message;
        this.messages = base.messages;
        this.readability = base.readability;
    }

    public UUID id() {
        return id;
    }

    public String processingGroup() {
        return processingGroup;
    }

    /** The encoded, collision-free sequence key (see {@link DeadLetterStore#sequenceKey}). */
    public String sequenceKey() {
        return sequenceKey;
    }

    public long sequenceIndex() {
        return sequenceIndex;
    }

    public SerializedEvent event() {
        return event;
    }

    public Optional<String> causeStackTrace() {
        return Optional.ofNullable(causeStackTrace);
    }

    /** Failed attempts so far: live attempts before dead-lettering plus failed redeliveries. */
    public int attempts() {
        return attempts;
    }

    public Optional<String> correlationId() {
        return Optional.ofNullable(correlationId);
    }

    public Optional<String> traceId() {
        return Optional.ofNullable(traceId);
    }

    /** True when the event never failed itself but was set aside behind an earlier failure of its sequence. */
    public boolean parked() {
        return parked;
    }

    /**
     * The event, upcast: what Axon's own dead-letter API sees.
     *
     * @throws UndeserializableLetterException when the stored event cannot be read back, or the upcaster chain does
     *                                         not make exactly one event of it (see {@link #messages()})
     */
    @Override
    public EventMessage<?> message() {
        EventMessage<?> result = message;
        if (result == null) {
            result = reader.read(id, event);
            message = result;
        }
        return result;
    }

    /**
     * The event's metadata, read on its own when the event has not been read: available also when the payload's
     * class is gone.
     *
     * @throws UndeserializableLetterException when the metadata itself cannot be read back
     */
    public MetaData metaData() {
        EventMessage<?> result = message;
        return result != null ? result.getMetaData() : reader.readMetaData(id, event);
    }

    /**
     * Every event the application's upcaster chain makes of the stored one, in order (see {@link EventReader}): none
     * when an upcaster drops it, several when one splits it. Redelivery handles them all in the letter's unit of
     * work.
     *
     * @throws UndeserializableLetterException when one of them cannot be read
     */
    public List<EventMessage<?>> messages() {
        List<EventMessage<?>> result = messages;
        if (result == null) {
            result = List.copyOf(reader.readAll(id, event));
            messages = result;
        }
        return result;
    }

    /** Whether this application can redeliver the letter and why not; checks types only (see {@link EventReader}). */
    public LetterReadability readability() {
        LetterReadability result = readability;
        if (result == null) {
            result = reader.readability(id, event);
            readability = result;
        }
        return result;
    }

    @Override
    public Optional<Cause> cause() {
        return Optional.ofNullable(cause);
    }

    @Override
    public Instant enqueuedAt() {
        return enqueuedAt;
    }

    @Override
    public Instant lastTouched() {
        return lastTouched;
    }

    @Override
    public MetaData diagnostics() {
        return diagnostics;
    }

    @Override
    public StoredLetter markTouched() {
        return new StoredLetter(this, GenericDeadLetter.clock.instant(), cause, causeStackTrace, diagnostics);
    }

    @Override
    public StoredLetter withCause(Throwable requeueCause) {
        if (requeueCause == null) {
            return markTouched();
        }
        Throwable origin = requeueCause instanceof ThrowableCause && requeueCause.getCause() != null
                ? requeueCause.getCause() : requeueCause;
        // Touching on every change mirrors Axon's GenericDeadLetter, so both queues report the same lastTouched.
        return new StoredLetter(this, GenericDeadLetter.clock.instant(), ThrowableCause.asCause(requeueCause),
                                Causes.stackTrace(origin), diagnostics);
    }

    @Override
    public StoredLetter withDiagnostics(MetaData diagnostics) {
        return new StoredLetter(this, GenericDeadLetter.clock.instant(), cause, causeStackTrace, diagnostics);
    }

    @Override
    public String toString() {
        return "StoredLetter{id=" + id + ", group=" + processingGroup + ", sequence=" + sequenceKey
                + ", index=" + sequenceIndex + ", event=" + event.eventIdentifier() + ", attempts=" + attempts
                + ", parked=" + parked + '}';
    }
}
