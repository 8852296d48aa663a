package io.axondlq.spring.web;

import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import io.axondlq.spring.properties.PayloadMode;
import org.axonframework.messaging.deadletter.Cause;

import java.util.List;
import java.util.Objects;

/**
 * The views of letters: {@link LetterSummary} (listings), {@link LetterDetail} (one letter), {@link LetterExport}
 * (exports). Works on the stored (serialized) form, so letters whose payload class is gone still render
 * ({@link LetterContent}).
 * <p>
 * Every view of a letter takes a {@link PayloadMode}: {@code FULL} shows everything; {@code MASKED} and {@code NONE}
 * mask (or omit) the payload and mask cause messages, stack-trace messages and diagnostics ({@link LetterMasking}).
 * Masked metadata keys are masked in every mode. {@link #policy()} tells a controller which mode a request gets.
 */
public class LetterViews {

    private final LetterContent content;
    private final PayloadPolicy policy;

    /** Masks these metadata keys; shows everything else in full to every reader. */
    public LetterViews(List<String> maskedMetadataKeys) {
        this(new LetterMasking(maskedMetadataKeys), PayloadPolicy.full());
    }

    public LetterViews(LetterMasking masking, PayloadPolicy policy) {
        this.content = new LetterContent(Objects.requireNonNull(masking, "masking"));
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** Which payload mode a request gets (details and listings) and exports use. */
    public PayloadPolicy policy() {
        return policy;
    }

    /** What listings show in full: everything but payload, metadata and stack trace. */
    public LetterSummary summary(StoredLetter letter) {
        return summary(letter, PayloadMode.FULL);
    }

    /** What listings show: everything but payload, metadata and stack trace; the cause message per {@code mode}. */
    public LetterSummary summary(StoredLetter letter, PayloadMode mode) {
        Cause cause = letter.cause().orElse(null);
        LetterSummary.CauseSummary view = cause == null ? null
                : new LetterSummary.CauseSummary(cause.type(), clear(mode) ? cause.message()
                        : LetterMasking.maskMessage(cause.message()));
        return new LetterSummary(LetterFields.of(letter), view, Redeliverability.of(letter.readability()));
    }

    /** Everything about one letter; the payload in full, metadata with the masked keys replaced. */
    public LetterDetail detail(StoredLetter letter, List<AttemptRecord> attempts) {
        return detail(letter, attempts, PayloadMode.FULL);
    }

    /** Everything about one letter, the payload per {@code mode}, metadata with the masked keys replaced. */
    public LetterDetail detail(StoredLetter letter, List<AttemptRecord> attempts, PayloadMode mode) {
        LetterExport full = export(letter, attempts, mode);
        // JSON bytes render whether or not the class still exists; tell the operator redelivery cannot work.
        // Only for one letter: an export of a million letters must not deserialize them all.
        try {
            letter.messages();
            return new LetterDetail(full, true, null);
        } catch (RuntimeException e) {
            // A serializer's message may quote the payload (Jackson does): masked views name the failure only.
            String error = clear(mode) ? e.getMessage() : failureWithoutData(e);
            // The types resolve, the payload does not (its shape changed, say): redelivery would answer UNREADABLE.
            String reason = clear(mode) && e instanceof UndeserializableLetterException u
                    ? u.reason() : "the payload cannot be deserialized: " + error;
            return new LetterDetail(full.withRedelivery(full.redelivery().unreadable(reason)), false,
                                    "The payload cannot be deserialized: " + error);
        }
    }

    /** Everything about one letter, the payload per the export mode. */
    public LetterExport export(StoredLetter letter, List<AttemptRecord> attempts, PayloadMode mode) {
        return new LetterExport(LetterFields.of(letter), causeDetail(letter, mode),
                                Redeliverability.of(letter.readability()), content.payload(letter, mode),
                                content.metadata(letter, mode), content.diagnostics(letter, mode),
                                LetterContent.token(letter.event()),
                                attempts.stream().map(a -> attempt(a, mode)).toList());
    }

    public AttemptView attempt(AttemptRecord a) {
        return attempt(a, PayloadMode.FULL);
    }

    public AttemptView attempt(AttemptRecord a, PayloadMode mode) {
        return new AttemptView(a.attempt(), a.failedAt(), a.node(), a.causeType(),
                               clear(mode) ? a.causeMessage() : LetterMasking.maskMessage(a.causeMessage()));
    }

    private static LetterExport.CauseDetail causeDetail(StoredLetter letter, PayloadMode mode) {
        Cause cause = letter.cause().orElse(null);
        if (cause == null) {
            return null;
        }
        String stackTrace = letter.causeStackTrace().orElse(null);
        return clear(mode) ? new LetterExport.CauseDetail(cause.type(), cause.message(), stackTrace)
                : new LetterExport.CauseDetail(cause.type(), LetterMasking.maskMessage(cause.message()),
                                               LetterMasking.maskStackTrace(stackTrace));
    }

    private static boolean clear(PayloadMode mode) {
        return mode == PayloadMode.FULL;
    }

    /** What went wrong, without a message that could quote the payload. */
    private static String failureWithoutData(RuntimeException e) {
        if (e instanceof UndeserializableLetterException undeserializable) {
            Throwable cause = undeserializable.getCause();
            return "payload type [" + undeserializable.payloadType() + "]"
                    + (cause == null ? " is not on the classpath" : ": " + cause.getClass().getName());
        }
        return e.getClass().getName();
    }
}
