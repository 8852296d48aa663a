package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.FailureGroup;
import io.axondlq.core.store.LetterReadability;
import io.axondlq.core.store.SequenceSummary;
import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import io.axondlq.spring.AxonDlqProperties.PayloadMode;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.deadletter.Cause;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * JSON views of letters, sequences and failure groups. Works on the stored (serialized) form, so letters whose
 * payload class is gone still render: the payload is shown as JSON when its bytes are JSON, else as base64 with the
 * reason (and as text when it is valid UTF-8, e.g. XStream XML).
 * <p>
 * Every view of a letter takes a {@link PayloadMode}: {@code FULL} shows everything; {@code MASKED} and {@code NONE}
 * mask (or omit) the payload and mask cause messages, stack-trace messages and diagnostics ({@link LetterMasking}).
 * Masked metadata keys are masked in every mode. {@link #policy()} tells a controller which mode a request gets.
 */
public class LetterViews {

    private final LetterMasking masking;
    private final PayloadPolicy policy;

    /** Masks these metadata keys; shows everything else in full to every reader. */
    public LetterViews(List<String> maskedMetadataKeys) {
        this(new LetterMasking(maskedMetadataKeys), PayloadPolicy.full());
    }

    public LetterViews(LetterMasking masking, PayloadPolicy policy) {
        this.masking = Objects.requireNonNull(masking, "masking");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** Which payload mode a request gets (details and listings) and exports use. */
    public PayloadPolicy policy() {
        return policy;
    }

    /** What listings show in full: everything but payload, metadata and stack trace. */
    public ObjectNode summary(StoredLetter letter) {
        return summary(letter, PayloadMode.FULL);
    }

    /** What listings show: everything but payload, metadata and stack trace; the cause message per {@code mode}. */
    public ObjectNode summary(StoredLetter letter, PayloadMode mode) {
        SerializedEvent event = letter.event();
        ObjectNode node = ApiJson.object();
        node.put("id", letter.id().toString());
        node.put("processingGroup", letter.processingGroup());
        node.put("sequenceKey", letter.sequenceKey());
        node.put("sequenceIndex", letter.sequenceIndex());
        node.put("eventIdentifier", event.eventIdentifier());
        node.put("messageType", event.messageType());
        node.put("payloadType", event.payloadType());
        node.put("payloadRevision", event.payloadRevision());
        node.set("aggregate", aggregate(event));
        node.put("eventTimestamp", ApiJson.instant(event.timestamp()));
        node.put("enqueuedAt", ApiJson.instant(letter.enqueuedAt()));
        node.put("lastTouched", ApiJson.instant(letter.lastTouched()));
        node.put("attempts", letter.attempts());
        node.put("parked", letter.parked());
        node.set("cause", cause(letter, false, mode));
        node.put("correlationId", letter.correlationId().orElse(null));
        node.put("traceId", letter.traceId().orElse(null));
        redeliverability(node, letter.readability());
        return node;
    }

    /**
     * Whether redelivery can read the letter, after the application's upcaster chain, and what it hands the handlers:
     * {@code redeliveredAs} lists the payload types in order (none: an upcaster drops the event and redelivery resolves
     * the letter; several: one splits it). Listings check types only; the detail deserializes too.
     */
    private static void redeliverability(ObjectNode node, LetterReadability readability) {
        node.put("redeliverable", readability.readable());
        node.put("notRedeliverableReason", readability.reason());
        ArrayNode types = node.putArray("redeliveredAs");
        for (LetterReadability.PayloadType type : readability.payloadTypes()) {
            types.addObject().put("payloadType", type.name()).put("payloadRevision", type.revision());
        }
    }

    /** Everything about one letter; the payload in full, metadata with the masked keys replaced. */
    public ObjectNode detail(StoredLetter letter, List<AttemptRecord> attempts) {
        return detail(letter, attempts, PayloadMode.FULL);
    }

    /** Everything about one letter, the payload per {@code mode}, metadata with the masked keys replaced. */
    public ObjectNode detail(StoredLetter letter, List<AttemptRecord> attempts, PayloadMode mode) {
        ObjectNode node = full(letter, attempts, mode);
        // JSON bytes render whether or not the class still exists; tell the operator redelivery cannot work.
        // Only for one letter: an export of a million letters must not deserialize them all.
        try {
            letter.messages();
            node.put("deserializable", true);
        } catch (RuntimeException e) {
            node.put("deserializable", false);
            // A serializer's message may quote the payload (Jackson does): masked views name the failure only.
            String error = mode == PayloadMode.FULL ? e.getMessage() : failureWithoutData(e);
            node.put("deserializationError", "The payload cannot be deserialized: " + error);
            // The types resolve, the payload does not (its shape changed, say): redelivery would answer UNREADABLE.
            node.put("redeliverable", false);
            node.put("notRedeliverableReason", mode == PayloadMode.FULL && e instanceof UndeserializableLetterException u
                    ? u.reason() : "the payload cannot be deserialized: " + error);
        }
        return node;
    }

    /** Everything about one letter, the payload per the export mode. */
    public ObjectNode export(StoredLetter letter, List<AttemptRecord> attempts, PayloadMode mode) {
        return full(letter, attempts, mode);
    }

    private ObjectNode full(StoredLetter letter, List<AttemptRecord> attempts, PayloadMode mode) {
        ObjectNode node = summary(letter, mode);
        node.set("cause", cause(letter, true, mode));
        payload(node, letter, mode);
        node.set("metadata", metadata(letter, mode));
        JsonNode diagnostics = diagnostics(letter.diagnostics());
        node.set("diagnostics", mode == PayloadMode.FULL ? diagnostics : LetterMasking.maskValues(diagnostics));
        node.set("trackingToken", token(letter.event()));
        ArrayNode history = node.putArray("attemptHistory");
        for (AttemptRecord attempt : attempts) {
            history.add(attempt(attempt, mode));
        }
        return node;
    }

    public ObjectNode sequence(SequenceSummary s) {
        ObjectNode node = ApiJson.object();
        node.put("processingGroup", s.processingGroup());
        node.put("sequenceKey", s.sequenceKey());
        node.put("size", s.size());
        node.put("oldestEnqueuedAt", ApiJson.instant(s.oldestEnqueuedAt()));
        node.put("lastTouched", ApiJson.instant(s.lastTouched()));
        ObjectNode head = node.putObject("head");
        head.put("letterId", s.headLetterId() == null ? null : s.headLetterId().toString());
        head.put("eventIdentifier", s.headEventIdentifier());
        head.put("payloadType", s.headPayloadType());
        head.put("causeType", s.headCauseType());
        node.put("claimedBy", s.claimedBy());
        node.put("claimUntil", ApiJson.instant(s.claimUntil()));
        return node;
    }

    public ObjectNode failureGroup(FailureGroup g) {
        ObjectNode node = ApiJson.object();
        node.put("causeType", g.causeType());
        node.put("letters", g.letters());
        node.put("firstSeen", ApiJson.instant(g.firstSeen()));
        node.put("lastSeen", ApiJson.instant(g.lastSeen()));
        return node;
    }

    public ObjectNode attempt(AttemptRecord a) {
        return attempt(a, PayloadMode.FULL);
    }

    public ObjectNode attempt(AttemptRecord a, PayloadMode mode) {
        ObjectNode node = ApiJson.object();
        node.put("attempt", a.attempt());
        node.put("failedAt", ApiJson.instant(a.failedAt()));
        node.put("node", a.node());
        node.put("causeType", a.causeType());
        node.put("causeMessage", mode == PayloadMode.FULL ? a.causeMessage()
                : LetterMasking.maskMessage(a.causeMessage()));
        return node;
    }

    // --- parts -----------------------------------------------------------------------------------------------------

    private static JsonNode aggregate(SerializedEvent event) {
        if (event.aggregateIdentifier() == null) {
            return ApiJson.object().nullNode();
        }
        ObjectNode node = ApiJson.object();
        node.put("type", event.aggregateType());
        node.put("identifier", event.aggregateIdentifier());
        node.put("sequenceNumber", event.aggregateSequenceNumber());
        return node;
    }

    private static JsonNode cause(StoredLetter letter, boolean withStackTrace, PayloadMode mode) {
        Cause cause = letter.cause().orElse(null);
        if (cause == null) {
            return ApiJson.object().nullNode();
        }
        boolean clear = mode == PayloadMode.FULL;
        ObjectNode node = ApiJson.object();
        node.put("type", cause.type());
        node.put("message", clear ? cause.message() : LetterMasking.maskMessage(cause.message()));
        if (withStackTrace) {
            String stackTrace = letter.causeStackTrace().orElse(null);
            node.put("stackTrace", clear ? stackTrace : LetterMasking.maskStackTrace(stackTrace));
        }
        return node;
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

    private static void payload(ObjectNode node, StoredLetter letter, PayloadMode mode) {
        byte[] bytes = letter.event().payload();
        if (mode == PayloadMode.NONE) {
            node.put("payloadFormat", "omitted");
            node.put("payloadOmittedReason", "axon.dlq.export.payload=none");
            return;
        }
        JsonNode json = json(bytes);
        if (json != null) {
            node.put("payloadFormat", mode == PayloadMode.MASKED ? "json-masked" : "json");
            node.set("payload", mode == PayloadMode.MASKED ? LetterMasking.maskValues(json) : json);
            return;
        }
        if (mode == PayloadMode.MASKED) {
            node.put("payloadFormat", "omitted");
            node.put("payloadOmittedReason", "the stored payload is not JSON, so it cannot be masked");
            return;
        }
        node.put("payloadFormat", "base64");
        node.put("payload", Base64.getEncoder().encodeToString(bytes));
        String text = utf8(bytes);
        if (text != null) {
            node.put("payloadText", text);
        }
        node.put("payloadReason", "the stored payload is not JSON" + deserialization(letter));
    }

    private static String deserialization(StoredLetter letter) {
        try {
            letter.messages();
            return " (it is readable by the application's serializer)";
        } catch (UndeserializableLetterException e) {
            return "; it cannot be deserialized either: " + e.getMessage();
        } catch (RuntimeException e) {
            return "; it cannot be deserialized either: " + e.getClass().getName();
        }
    }

    private JsonNode metadata(StoredLetter letter, PayloadMode mode) {
        byte[] bytes = letter.event().metaData();
        if (bytes == null || bytes.length == 0) {
            return ApiJson.object();
        }
        JsonNode json = json(bytes);
        if (json instanceof ObjectNode object) {
            return masking.maskKeys(object);
        }
        try {
            // The metadata alone: readable also when the payload's class is gone.
            return masking.maskKeys(toObject(letter.metaData()));
        } catch (RuntimeException e) {
            ObjectNode raw = ApiJson.object();
            if (masking.masksMetadata() || mode != PayloadMode.FULL) {
                // Keys cannot be found in bytes nobody can read: showing them would show the masked keys too.
                raw.put("format", "omitted");
                raw.put("reason", "the stored metadata is neither JSON nor readable by the application's "
                        + "serializer (" + e.getClass().getName() + "), so masked keys cannot be masked in it");
                return raw;
            }
            raw.put("format", "base64");
            raw.put("data", Base64.getEncoder().encodeToString(bytes));
            raw.put("reason", "the stored metadata is not JSON and cannot be deserialized: " + e.getMessage());
            return raw;
        }
    }

    private static ObjectNode toObject(Map<String, ?> map) {
        ObjectNode node = ApiJson.object();
        map.forEach((key, value) -> {
            try {
                node.set(key, ApiJson.tree(value));
            } catch (RuntimeException e) {
                node.put(key, String.valueOf(value));
            }
        });
        return node;
    }

    private static JsonNode diagnostics(MetaData diagnostics) {
        return toObject(diagnostics == null ? Map.of() : diagnostics);
    }

    private static JsonNode token(SerializedEvent event) {
        if (event.tokenType() == null) {
            return ApiJson.object().nullNode();
        }
        ObjectNode node = ApiJson.object();
        node.put("type", event.tokenType());
        JsonNode json = event.token() == null ? null : json(event.token());
        if (json != null) {
            node.set("value", json);
        } else if (event.token() != null) {
            String text = utf8(event.token());
            node.put("value", text != null ? text : Base64.getEncoder().encodeToString(event.token()));
        }
        return node;
    }

    /** The bytes as a JSON tree, or null when they are not (exactly one) JSON value. */
    static JsonNode json(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            JsonNode node = ApiJson.parse(bytes);
            return node == null || node.isMissingNode() ? null : node;
        } catch (Exception e) {
            return null;
        }
    }

    private static String utf8(byte[] bytes) {
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                                                .onMalformedInput(CodingErrorAction.REPORT)
                                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                                .decode(ByteBuffer.wrap(bytes))
                                                .toString();
            return text.indexOf('\0') >= 0 ? null : text;
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
