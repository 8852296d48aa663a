package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns a generated OpenAPI document into the shipped form, and compares two documents: the shipped file
 * ({@value OpenApiController#RESOURCE}) is the generated document with its paths made relative to the base path, its
 * one server set to the default base path ({@link OpenApiController} replaces it per request), and every object's
 * members sorted by name, so that it only changes when the API does.
 */
final class OpenApiDocuments {

    static final String DEFAULT_BASE_PATH = "/dead-letters";
    /** Top-level members in the conventional order; everything else is sorted by name. */
    private static final List<String> TOP_LEVEL = List.of("openapi", "info", "servers", "tags", "paths", "components");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_DIFFERENCES = 40;
    private static final int MAX_VALUE_LENGTH = 300;

    private OpenApiDocuments() {
    }

    /**
     * @param generated the document springdoc serves
     * @param prefix    what precedes the API's paths in it (the base path; springdoc's paths are below the servlet
     *                  context)
     */
    static ObjectNode normalize(JsonNode generated, String prefix) {
        ObjectNode document = (ObjectNode) sorted(generated);
        ObjectNode paths = JsonNodeFactory.instance.objectNode();
        List<String> outside = new ArrayList<>();
        new TreeMap<>(fields(document.path("paths"))).forEach((path, item) -> {
            if (path.equals(prefix) || path.startsWith(prefix + "/")) {
                String relative = path.substring(prefix.length());
                paths.set(relative.isEmpty() ? "/" : relative, item);
            } else {
                outside.add(path);
            }
        });
        if (!outside.isEmpty()) {
            throw new AssertionError("Paths outside the base path [" + prefix + "] in the generated document: "
                                             + outside);
        }
        document.set("paths", paths);
        ArrayNode servers = document.putArray("servers");
        servers.addObject()
               .put("url", DEFAULT_BASE_PATH)
               .put("description", "The default base path. GET {base-path}/openapi.json names the servlet context "
                       + "path followed by the configured axon.dlq.rest.base-path here.");
        ObjectNode ordered = JsonNodeFactory.instance.objectNode();
        TOP_LEVEL.stream().filter(document::has).forEach(name -> ordered.set(name, document.get(name)));
        fields(document).forEach((name, value) -> {
            if (!ordered.has(name)) {
                ordered.set(name, value);
            }
        });
        return ordered;
    }

    /** A copy with every object's members sorted by name; arrays keep their order (parameters, enums, ...). */
    static JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = JsonNodeFactory.instance.objectNode();
            new TreeMap<>(fields(node)).forEach((name, value) -> copy.set(name, sorted(value)));
            return copy;
        }
        if (node.isArray()) {
            ArrayNode copy = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> copy.add(sorted(element)));
            return copy;
        }
        return node;
    }

    /** The document as shipped: two-space indentation, one member per line, a final newline. */
    static String print(JsonNode document) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                                          .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return JSON.writer(printer).writeValueAsString(document) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the two documents differ, as JSON pointers with both values; at most {@value #MAX_DIFFERENCES}. */
    static List<String> differences(JsonNode shipped, JsonNode generated) {
        List<String> differences = new ArrayList<>();
        compare("", shipped, generated, differences);
        if (differences.size() > MAX_DIFFERENCES) {
            int more = differences.size() - MAX_DIFFERENCES;
            differences = new ArrayList<>(differences.subList(0, MAX_DIFFERENCES));
            differences.add("... and " + more + " more");
        }
        return differences;
    }

    private static void compare(String pointer, JsonNode shipped, JsonNode generated, List<String> differences) {
        if (shipped.equals(generated)) {
            return;
        }
        if (shipped.isObject() && generated.isObject()) {
            Map<String, JsonNode> left = new TreeMap<>(fields(shipped));
            Map<String, JsonNode> right = new TreeMap<>(fields(generated));
            left.forEach((name, value) -> {
                String at = pointer + "/" + name.replace("~", "~0").replace("/", "~1");
                if (!right.containsKey(name)) {
                    differences.add("only in the shipped file: " + at + " = " + shorten(value));
                } else {
                    compare(at, value, right.get(name), differences);
                }
            });
            right.forEach((name, value) -> {
                if (!left.containsKey(name)) {
                    differences.add("only in the generated document: " + pointer + "/"
                                            + name.replace("~", "~0").replace("/", "~1") + " = " + shorten(value));
                }
            });
            return;
        }
        if (shipped.isArray() && generated.isArray() && shipped.size() == generated.size()) {
            for (int i = 0; i < shipped.size(); i++) {
                compare(pointer + "/" + i, shipped.get(i), generated.get(i), differences);
            }
            return;
        }
        differences.add("changed: " + (pointer.isEmpty() ? "/" : pointer) + "\n      shipped:   " + shorten(shipped)
                                + "\n      generated: " + shorten(generated));
    }

    private static String shorten(JsonNode value) {
        String text = value.toString();
        return text.length() <= MAX_VALUE_LENGTH ? text : text.substring(0, MAX_VALUE_LENGTH) + "...";
    }

    private static Map<String, JsonNode> fields(JsonNode node) {
        Map<String, JsonNode> fields = new java.util.LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            fields.put(field.getKey(), field.getValue());
        }
        return fields;
    }
}
