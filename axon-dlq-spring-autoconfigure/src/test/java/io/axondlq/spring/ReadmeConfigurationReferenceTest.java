package io.axondlq.spring;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.core.retry.ExponentialBackoffRetryPolicy;
import io.axondlq.core.store.NodeId;
import io.axondlq.spring.properties.GroupOverrides;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.io.ByteArrayResource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The README's configuration reference and property snippets, held to {@link AxonDlqProperties}: Spring Boot ignores a
 * property that binds to nothing, so a name copied from the README that does not exist would be silently without
 * effect. Every name in the table must bind, its documented default must be the value the class starts with, and every
 * property of the class must be in the table.
 */
class ReadmeConfigurationReferenceTest {

    /** A table row: {@code | `axon.dlq.name` | default | description |}. */
    private static final Pattern ROW = Pattern.compile("^\\| `(axon\\.dlq\\.[^`]+)` \\| ([^|]+) \\|", Pattern.MULTILINE);
    private static final Pattern FIRST_CODE = Pattern.compile("`([^`]*)`");
    private static final String GROUP = "ledger";

    @Test
    void everyPropertyOfTheTableBindsWithItsDocumentedDefault() {
        Map<String, String> rows = topLevelRows();
        Map<String, String> values = new LinkedHashMap<>();
        List<String> unset = new ArrayList<>();
        rows.forEach((name, cell) -> {
            String value = documentedValue(name, cell);
            if (value == null) {
                unset.add(name);
            } else {
                values.put(name, value);
            }
        });

        AxonDlqProperties bound = bindStrictly(values);
        AxonDlqProperties fresh = new AxonDlqProperties();
        BeanWrapperImpl boundBean = new BeanWrapperImpl(bound);
        BeanWrapperImpl freshBean = new BeanWrapperImpl(fresh);
        values.keySet().forEach(name -> assertThat(boundBean.getPropertyValue(path(name)))
                .as("README's default of %s", name)
                .isEqualTo(freshBean.getPropertyValue(path(name))));
        unset.forEach(name -> assertThat(freshBean.getPropertyValue(path(name))).as("%s is unset", name).isNull());

        // The one default the table names in words: the retry policy's built-in non-retryable types.
        assertThat(rows.get("axon.dlq.retry.non-retryable-exceptions"))
                .contains("`AxonNonTransientException`", "`ClassCastException`", "`UnsupportedOperationException`");
        assertThat(ExponentialBackoffRetryPolicy.DEFAULT_NON_RETRYABLE).extracting(Class::getSimpleName)
                .containsExactlyInAnyOrder("AxonNonTransientException", "ClassCastException",
                                           "UnsupportedOperationException");
        assertThat(fresh.getRetry().getNonRetryableExceptions()).isEmpty();
        assertThat(fresh.getNodeId()).isEqualTo(NodeId.local());
    }

    /** The row of non-retryable-exceptions: "A value replaces the default types: list them too to keep them". */
    @Test
    void aNonRetryableExceptionsValueReplacesTheDefaultTypes() {
        assertThat(configurationReference().lines()
                                           .filter(l -> l.startsWith("| `axon.dlq.retry.non-retryable-exceptions`")))
                .singleElement().asString().contains("A value replaces the default types");
        org.axonframework.eventhandling.EventMessage<?> event =
                org.axonframework.eventhandling.GenericEventMessage.asEventMessage("payload");
        AxonDlqProperties defaults = new AxonDlqProperties();
        AxonDlqProperties set = bindStrictly(Map.of("axon.dlq.retry.non-retryable-exceptions",
                                                    "java.lang.IllegalArgumentException"));
        io.axondlq.core.retry.RetryPolicy byDefault =
                new GroupSettingsResolver(defaults, getClass().getClassLoader()).settings("g").retryPolicy();
        io.axondlq.core.retry.RetryPolicy withValue =
                new GroupSettingsResolver(set, getClass().getClassLoader()).settings("g").retryPolicy();

        assertThat(byDefault.decide(event, new ClassCastException(), 1).action())
                .isEqualTo(io.axondlq.core.retry.RetryDecision.Action.DEAD_LETTER);
        assertThat(withValue.decide(event, new IllegalArgumentException(), 1).action())
                .isEqualTo(io.axondlq.core.retry.RetryDecision.Action.DEAD_LETTER);
        assertThat(withValue.decide(event, new ClassCastException(), 1).action())
                .as("a default type no longer listed").isEqualTo(io.axondlq.core.retry.RetryDecision.Action.RETRY);
    }

    /** The per-group rows name the top-level settings under a group's key: each binds, as the top level's default. */
    @Test
    void everyPerGroupPropertyOfTheTableBinds() {
        Map<String, String> topLevel = topLevelRows();
        Map<String, String> values = new LinkedHashMap<>();
        for (String name : groupRows()) {
            String leaf = name.substring(("axon.dlq.processing-groups.<g>.").length());
            String value = leaf.equals("enabled") ? "false" : documentedValue("axon.dlq." + leaf,
                                                                             topLevel.get("axon.dlq." + leaf));
            assertThat(value).as("a top-level default for %s", name).isNotNull();
            values.put("axon.dlq.processing-groups." + GROUP + "." + leaf, value);
        }
        assertThat(values).hasSizeGreaterThanOrEqualTo(11);

        AxonDlqProperties bound = bindStrictly(values);
        GroupOverrides group = bound.getProcessingGroups().get(GROUP);
        BeanWrapperImpl groupBean = new BeanWrapperImpl(group);
        BeanWrapperImpl topBean = new BeanWrapperImpl(new AxonDlqProperties());
        values.keySet().forEach(name -> {
            String leaf = name.substring(("axon.dlq.processing-groups." + GROUP + ".").length());
            Object expected = leaf.equals("enabled") ? Boolean.FALSE : topBean.getPropertyValue(path("axon.dlq." + leaf));
            assertThat(groupBean.getPropertyValue(path("axon.dlq." + leaf))).as(name).isEqualTo(expected);
        });
    }

    /** Every property the class declares (its configuration metadata) has its row. */
    @Test
    void everyPropertyOfTheClassIsInTheTable() throws IOException {
        JsonNode metadata = axonDlqMetadata();
        TreeSet<String> declared = new TreeSet<>();
        metadata.get("properties").forEach(p -> {
            String name = p.get("name").asText();
            if (name.startsWith("axon.dlq.") && !name.equals("axon.dlq.processing-groups")) {
                declared.add(name);
            }
        });
        assertThat(declared).hasSizeGreaterThan(30);
        assertThat(topLevelRows().keySet()).containsAll(declared);
    }

    /** The YAML of "Names with dots", as written: the bracketed key binds to the group with dots. */
    @Test
    void theBracketedGroupKeyYamlBinds() throws IOException {
        String yaml = fence(readme(), "```yaml\n", "axon.dlq.processing-groups:");
        MutablePropertySources sources = new MutablePropertySources();
        new YamlPropertySourceLoader().load("application.yml", new ByteArrayResource(
                yaml.getBytes(StandardCharsets.UTF_8))).forEach(sources::addLast);

        AxonDlqProperties bound = bindStrictly(sources);

        assertThat(bound.getProcessingGroups()).containsOnlyKeys("com.acme.orders");
        assertThat(bound.getProcessingGroups().get("com.acme.orders").getRetry().getMaxAttempts()).isEqualTo(7);
    }

    /** "Minimal properties for a PostgreSQL application", as written: axon-dlq's line binds. */
    @Test
    void theMinimalPostgresPropertiesBind() throws IOException {
        String properties = fence(readme(), "```properties\n", "axon.dlq.jdbc.initialize-schema");
        MutablePropertySources sources = new MutablePropertySources();
        new PropertiesPropertySourceLoader().load("application.properties", new ByteArrayResource(
                properties.getBytes(StandardCharsets.UTF_8))).forEach(sources::addLast);

        assertThat(bindStrictly(sources).getJdbc().getInitializeSchema().name()).isEqualTo("ALWAYS");
    }

    private static AxonDlqProperties bindStrictly(Map<String, String> values) {
        return bindStrictly(new Binder(new MapConfigurationPropertySource(values)));
    }

    private static AxonDlqProperties bindStrictly(MutablePropertySources sources) {
        return bindStrictly(new Binder(ConfigurationPropertySources.from(sources)));
    }

    /** Binds {@code axon.dlq}, failing on any property under it that binds to nothing. */
    private static AxonDlqProperties bindStrictly(Binder binder) {
        AxonDlqProperties properties = new AxonDlqProperties();
        assertThatCode(() -> binder.bind("axon.dlq", Bindable.ofInstance(properties),
                                         new NoUnboundElementsBindHandler(BindHandler.DEFAULT)))
                .as("every README property binds").doesNotThrowAnyException();
        return properties;
    }

    /** The value to bind for a documented default, or null for "unset". */
    private static String documentedValue(String name, String cell) {
        String text = cell.strip();
        if (text.startsWith("unset")) {
            return null;
        }
        if (text.startsWith("empty")) {
            return "";
        }
        if (name.equals("axon.dlq.node-id")) {
            assertThat(text).isEqualTo("`host:pid`");
            return NodeId.local();
        }
        if (name.equals("axon.dlq.retry.non-retryable-exceptions")) {
            return ""; // the property itself starts empty: the policy applies its built-in types
        }
        Matcher code = FIRST_CODE.matcher(text);
        assertThat(code.find()).as("a value in backticks for %s: %s", name, text).isTrue();
        return code.group(1);
    }

    /** {@code axon.dlq.auto-retry.poll-interval} → {@code autoRetry.pollInterval}. */
    private static String path(String name) {
        StringBuilder path = new StringBuilder();
        boolean upper = false;
        for (char c : name.substring("axon.dlq.".length()).toCharArray()) {
            if (c == '-') {
                upper = true;
            } else {
                path.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return path.toString();
    }

    private static Map<String, String> topLevelRows() {
        Map<String, String> rows = new LinkedHashMap<>();
        Matcher row = ROW.matcher(configurationReference());
        while (row.find()) {
            if (!row.group(1).startsWith("axon.dlq.processing-groups.")) {
                rows.put(row.group(1), row.group(2));
            }
        }
        assertThat(rows).hasSizeGreaterThan(30);
        return rows;
    }

    /** The per-group rows with their {@code {a, b}} lists spelled out. */
    private static List<String> groupRows() {
        List<String> names = new ArrayList<>();
        Matcher row = ROW.matcher(configurationReference());
        while (row.find()) {
            String name = row.group(1);
            if (!name.startsWith("axon.dlq.processing-groups.")) {
                continue;
            }
            int brace = name.indexOf('{');
            if (brace < 0) {
                names.add(name);
            } else {
                String prefix = name.substring(0, brace);
                for (String leaf : name.substring(brace + 1, name.indexOf('}')).split(",")) {
                    names.add(prefix + leaf.strip());
                }
            }
        }
        return names;
    }

    private static String configurationReference() {
        String readme = readme();
        int start = readme.indexOf("## Configuration reference");
        int end = readme.indexOf("\n## ", start + 1);
        assertThat(start).isNotNegative();
        return readme.substring(start, end);
    }

    /** The first fenced block that opens with {@code opening} and whose text starts with {@code firstLine}. */
    private static String fence(String readme, String opening, String firstLine) {
        Matcher block = Pattern.compile("( *)" + Pattern.quote(opening) + "(.*?)\\n *```", Pattern.DOTALL)
                .matcher(readme);
        while (block.find()) {
            String indent = block.group(1);
            String text = block.group(2).replaceAll("(?m)^" + indent, "");
            if (text.startsWith(firstLine)) {
                return text + "\n";
            }
        }
        throw new AssertionError("no " + opening.strip() + " block starting with " + firstLine);
    }

    private static String readme() {
        try {
            return Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode axonDlqMetadata() throws IOException {
        for (URL url : Collections.list(ReadmeConfigurationReferenceTest.class.getClassLoader()
                                                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                JsonNode metadata = new ObjectMapper().readTree(in);
                if (metadata.path("groups").toString().contains("\"axon.dlq\"")) {
                    return metadata;
                }
            }
        }
        throw new AssertionError("axon-dlq's configuration metadata is not on the class path");
    }
}
