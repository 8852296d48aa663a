package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.axondlq.core.store.LetterReadability;
import io.axondlq.core.store.SerializedEvent;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.spring.properties.PayloadMode;
import org.axonframework.messaging.MetaData;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * The user data of a letter as the views show it: payload, metadata, diagnostics and tracking token. These are
 * arbitrary JSON (or bytes that are not JSON), so they stay trees: the payload is shown as JSON when its bytes are
 * JSON, else as base64 with the reason (and as text when it is valid UTF-8, e.g. XStream XML). Nothing here
 * deserializes a payload: exports render every letter through these views.
 */
final class LetterContent {

    private final LetterMasking masking;

    LetterContent(LetterMasking masking) {
        this.masking = masking;
    }

    LetterPayload payload(StoredLetter letter, PayloadMode mode) {
        byte[] bytes = letter.event().payload();
        if (mode == PayloadMode.NONE) {
            return LetterPayload.omitted("axon.dlq.export.payload=none");
        }
        JsonNode json = ApiJson.json(bytes);
        if (json != null) {
            boolean masked = mode == PayloadMode.MASKED;
            return LetterPayload.json(masked ? LetterMasking.maskValues(json) : json, masked);
        }
        if (mode == PayloadMode.MASKED) {
            return LetterPayload.omitted("the stored payload is not JSON, so it cannot be masked");
        }
        return new LetterPayload("base64", TextNode.valueOf(Base64.getEncoder().encodeToString(bytes)), utf8(bytes),
                                 "the stored payload is not JSON" + readability(letter), null);
    }

    /**
     * Whether the application can read the payload, from its types only ({@link StoredLetter#readability()}, as the
     * views' {@code redeliverable} says): exports render every letter through here, and deserializing each payload
     * (the upcaster chain, then the serializer) would deserialize every letter of an export. Whether the payload
     * itself still deserializes is the detail's to tell ({@link LetterViews#detail}).
     */
    private static String readability(StoredLetter letter) {
        LetterReadability readability = letter.readability();
        return readability.readable() ? " (its type resolves in this application)"
                : "; it cannot be deserialized either: " + readability.reason();
    }

    JsonNode metadata(StoredLetter letter, PayloadMode mode) {
        byte[] bytes = letter.event().metaData();
        if (bytes == null || bytes.length == 0) {
            return ApiJson.object();
        }
        JsonNode json = ApiJson.json(bytes);
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

    JsonNode diagnostics(StoredLetter letter, PayloadMode mode) {
        MetaData diagnostics = letter.diagnostics();
        JsonNode json = toObject(diagnostics == null ? Map.of() : diagnostics);
        return mode == PayloadMode.FULL ? json : LetterMasking.maskValues(json);
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

    static LetterExport.TrackingToken token(SerializedEvent event) {
        if (event.tokenType() == null) {
            return null;
        }
        JsonNode json = event.token() == null ? null : ApiJson.json(event.token());
        if (json == null && event.token() != null) {
            String text = utf8(event.token());
            json = TextNode.valueOf(text != null ? text : Base64.getEncoder().encodeToString(event.token()));
        }
        return new LetterExport.TrackingToken(event.tokenType(), json);
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
