package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one place where letter data is masked, for every view of a letter (REST detail and listings, exports, the
 * dashboard): {@link LetterViews} asks it for every field that can carry application data.
 * <ul>
 *     <li>Masked payloads keep their structure (object keys, array lengths, nulls) and lose every value: strings,
 *     numbers and booleans become {@value #MASK}, at any depth. Numbers are data too (amounts, account numbers).</li>
 *     <li>Metadata keys named in {@code axon.dlq.export.masked-metadata-keys} are masked case-insensitively and at any
 *     depth (a key inside a nested object or an array of objects), whatever the payload mode.</li>
 *     <li>Cause messages repeat application data ("insufficient funds on account 42"), so a masked view masks them,
 *     and the messages inside a stack trace ({@code Type: message} and {@code Caused by: Type: message} lines),
 *     keeping exception types and frames, which carry code locations only.</li>
 * </ul>
 */
public final class LetterMasking {

    /** What every masked value becomes. */
    public static final String MASK = "***";

    /** A throwable's name line with a message: optional "Caused by: " or "Suppressed: ", a class name, ": ". */
    private static final Pattern HEADLINE = Pattern.compile(
            "^(\\s*(?:Caused by: |Suppressed: )?[\\p{L}_$][\\p{L}\\p{N}_$]*(?:\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*): .*$");
    /** A redelivery outcome's detail: a class name, ": ", the failure's message. */
    private static final Pattern OUTCOME_FAILURE = Pattern.compile(
            "([\\p{L}_$][\\p{L}\\p{N}_$]*(?:\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*): (.*)", Pattern.DOTALL);
    /** What {@code RedeliveryResult.droppedByUpcasterDetail()} appends: ids, no letter data. */
    private static final Pattern DROPPED_BY_UPCASTER = Pattern.compile(
            "; \\d+ letter\\(s\\) dropped by the upcaster chain: \\[[0-9a-f, -]*]$");
    /** The same without a message. */
    private static final Pattern NAME_ONLY = Pattern.compile(
            "^\\s*(?:Caused by: |Suppressed: )?[\\p{L}_$][\\p{L}\\p{N}_$]*(?:\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*\\s*$");
    /** A frame ("at ...") or an elision ("... 3 more", "... 3 common frames omitted"). */
    private static final Pattern FRAME = Pattern.compile("^\\s*(?:at \\S.*|\\.\\.\\. \\d+ .*)$");

    private final Set<String> maskedKeys;

    /** @param maskedMetadataKeys metadata keys to mask, compared case-insensitively; null for none */
    public LetterMasking(List<String> maskedMetadataKeys) {
        this.maskedKeys = maskedMetadataKeys == null ? Set.of()
                : maskedMetadataKeys.stream().filter(key -> key != null && !key.isBlank())
                                    .map(LetterMasking::fold).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether any metadata key is to be masked. */
    public boolean masksMetadata() {
        return !maskedKeys.isEmpty();
    }

    /** Whether {@code key} is one of the masked metadata keys (ignoring case). */
    public boolean isMaskedKey(String key) {
        return key != null && maskedKeys.contains(fold(key));
    }

    /** A copy of {@code metadata} with the value of every masked key, at any depth, replaced by {@value #MASK}. */
    public JsonNode maskKeys(JsonNode metadata) {
        if (metadata == null || maskedKeys.isEmpty()) {
            return metadata;
        }
        if (metadata.isObject()) {
            ObjectNode copy = ApiJson.object();
            Iterator<Map.Entry<String, JsonNode>> fields = metadata.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                copy.set(field.getKey(), isMaskedKey(field.getKey()) ? TextNode.valueOf(MASK)
                        : maskKeys(field.getValue()));
            }
            return copy;
        }
        if (metadata.isArray()) {
            ArrayNode copy = ApiJson.array();
            metadata.forEach(element -> copy.add(maskKeys(element)));
            return copy;
        }
        return metadata.deepCopy();
    }

    /** Every value replaced by {@value #MASK}: strings, numbers and booleans; structure and nulls stay. */
    public static JsonNode maskValues(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = ApiJson.object();
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                copy.set(field.getKey(), maskValues(field.getValue()));
            }
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = ApiJson.array();
            node.forEach(element -> copy.add(maskValues(element)));
            return copy;
        }
        if (node.isNull() || node.isMissingNode()) {
            return node.deepCopy();
        }
        return TextNode.valueOf(MASK);
    }

    /** A cause message in a masked view: {@value #MASK}, null and empty staying what they are. */
    public static String maskMessage(String message) {
        return message == null || message.isEmpty() ? message : MASK;
    }

    /**
     * A redelivery outcome's detail in a masked view ({@code Type: message}, as a retry job records a failed
     * sequence): the message becomes {@value #MASK}; the exception type and the note of letters the upcaster chain
     * dropped (ids only) stay. A detail of another shape (a sequence held by another node) carries no letter data.
     */
    public static String maskOutcomeDetail(String detail) {
        if (detail == null) {
            return null;
        }
        Matcher failure = OUTCOME_FAILURE.matcher(detail);
        if (!failure.matches()) {
            return detail;
        }
        Matcher dropped = DROPPED_BY_UPCASTER.matcher(failure.group(2));
        return failure.group(1) + ": " + MASK + (dropped.find() ? dropped.group() : "");
    }

    /**
     * A stack trace with the message of every throwable replaced by {@value #MASK}; exception types and frames stay.
     * The lines of a multi-line message and anything else that is neither a frame nor a throwable's name are dropped.
     */
    public static String maskStackTrace(String stackTrace) {
        if (stackTrace == null) {
            return null;
        }
        StringBuilder masked = new StringBuilder(stackTrace.length());
        boolean inMessage = false;
        boolean first = true;
        for (String line : stackTrace.split("\\R", -1)) {
            String kept;
            if (FRAME.matcher(line).matches()) {
                kept = line;
                inMessage = false;
            } else if (inMessage) {
                kept = null; // the next line of a multi-line message
            } else {
                Matcher headline = HEADLINE.matcher(line);
                if (headline.matches()) {
                    kept = headline.group(1) + ": " + MASK;
                    inMessage = true;
                } else {
                    kept = NAME_ONLY.matcher(line).matches() || line.isEmpty() ? line : null;
                }
            }
            if (kept != null) {
                masked.append(first ? "" : "\n").append(kept);
                first = false;
            }
        }
        return masked.toString();
    }

    private static String fold(String key) {
        return key.trim().toLowerCase(Locale.ROOT);
    }
}
