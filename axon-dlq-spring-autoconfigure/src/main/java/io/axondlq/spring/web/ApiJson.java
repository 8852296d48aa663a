package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;

/**
 * The REST API's own Jackson mapper, used by {@link ApiMessageConverter} for the API's request and response records,
 * so that the host application's Jackson settings (naming strategy, date format, inclusion, lenient reading) cannot
 * change the API's wire format or what it accepts. Reading is strict: unknown members, duplicate keys, trailing
 * content and type coercions (a number for a string, {@code 2.5} or {@code "5"} for a whole number) are errors.
 */
final class ApiJson {

    /**
     * User data that parses as JSON (up to Jackson's read limit of nesting) is shown as a tree inside the API's own
     * objects (a letter, the export's array), so writing allows those few levels more: a payload at the read limit
     * would otherwise fail its detail, and cut off the export of its whole group.
     */
    private static final int MAX_WRITE_DEPTH = StreamReadConstraints.DEFAULT_MAX_DEPTH + 32;

    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                                                 .streamWriteConstraints(StreamWriteConstraints.builder()
                                                         .maxNestingDepth(MAX_WRITE_DEPTH).build())
                                                 .build())
                                                 .addModule(new JavaTimeModule())
                                                 .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                                                 .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                                                 .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                                                 .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                                                 .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                                                 .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                                                 .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                                                 .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                                                 .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                                                 .withCoercionConfig(LogicalType.Textual, config -> config
                                                         .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                                                         .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                                                         .setCoercion(CoercionInputShape.Boolean,
                                                                      CoercionAction.Fail))
                                                 .build();

    /**
     * Reads user data (payloads, metadata) into trees that keep every number as written: a decimal as
     * {@link java.math.BigDecimal} with its scale, not rounded to a double, so views and exports show it digit for digit.
     */
    private static final ObjectReader TREES = MAPPER.reader()
                                                    .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                                                    .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);

    private ApiJson() {
    }

    /** An empty tree of user data (metadata, masked payloads). */
    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    /** Parses JSON strictly: one value, no trailing content, no duplicate keys. */
    static JsonNode parse(byte[] bytes) throws IOException {
        return TREES.readTree(bytes);
    }

    static JsonNode parse(String text) throws IOException {
        return TREES.readTree(text);
    }

    /** User data (a metadata value, a diagnostic) as a tree. */
    static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }

    /** The bytes as a JSON tree, or null when they are not (exactly one) JSON value. */
    static JsonNode json(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return null;
        }
        try {
            JsonNode node = parse(bytes);
            return node == null || node.isMissingNode() ? null : node;
        } catch (Exception e) {
            return null;
        }
    }
}
