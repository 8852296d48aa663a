package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.axondlq.core.store.Page;

import java.io.IOException;
import java.time.Instant;
import java.util.function.Function;

/**
 * The REST API's own JSON handling. Responses are built as trees with this mapper, so the host application's Jackson
 * settings (naming strategy, date format, inclusion) cannot change the API's wire format.
 */
final class ApiJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
                                                 .addModule(new JavaTimeModule())
                                                 .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                                                 .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                                                 .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                                                 .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                                                 .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                                                 .build();

    private ApiJson() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode array() {
        return MAPPER.createArrayNode();
    }

    static String instant(Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** {@code {"items": [...], "nextCursor": "..." | null}}. */
    static <T> ObjectNode page(Page<T> page, Function<T, JsonNode> item) {
        ObjectNode node = object();
        ArrayNode items = node.putArray("items");
        page.items().forEach(i -> items.add(item.apply(i)));
        node.put("nextCursor", page.nextCursor());
        return node;
    }

    /** Parses JSON strictly: one value, no trailing content, no duplicate keys. */
    static JsonNode parse(byte[] bytes) throws IOException {
        return MAPPER.readTree(bytes);
    }

    static JsonNode parse(String text) throws IOException {
        return MAPPER.readTree(text);
    }

    /** Serializes a value (a record, a map) into a tree; never fails for the API's own types. */
    static JsonNode tree(Object value) {
        return MAPPER.valueToTree(value);
    }
}
