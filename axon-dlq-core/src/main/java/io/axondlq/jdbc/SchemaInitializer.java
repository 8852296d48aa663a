package io.axondlq.jdbc;

import org.springframework.jdbc.core.JdbcTemplate;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Creates the axon-dlq tables from the same DDL resources that serve as Flyway migrations
 * ({@code classpath:db/axon-dlq/{postgresql|h2}}). Every statement is {@code IF NOT EXISTS}, so running it again is
 * harmless.
 */
public final class SchemaInitializer {

    /** Placeholder in the DDL; with Flyway, set {@code spring.flyway.placeholders.axon_dlq_prefix}. */
    public static final String PREFIX_PLACEHOLDER = "${axon_dlq_prefix}";
    public static final String DEFAULT_TABLE_PREFIX = "axon_dlq_";

    private SchemaInitializer() {
    }

    public static void initialize(DataSource dataSource, String tablePrefix) {
        initialize(dataSource, SqlDialect.detect(dataSource), tablePrefix);
    }

    public static void initialize(DataSource dataSource, SqlDialect dialect, String tablePrefix) {
        dialect.statements(tablePrefix); // validates the prefix before it reaches any SQL
        JdbcTemplate jdbc = new JdbcTemplate(dataSource);
        for (String statement : statements(dialect, tablePrefix)) {
            jdbc.execute(statement);
        }
    }

    /** The DDL statements for the dialect, with the prefix filled in. */
    public static List<String> statements(SqlDialect dialect, String tablePrefix) {
        String script = read(dialect.schemaResource()).replace(PREFIX_PLACEHOLDER, tablePrefix);
        String withoutComments = script.lines()
                                       .filter(line -> !line.stripLeading().startsWith("--"))
                                       .collect(Collectors.joining("\n"));
        return Arrays.stream(withoutComments.split(";"))
                     .map(String::strip)
                     .filter(s -> !s.isEmpty())
                     .toList();
    }

    private static String read(String resource) {
        try (InputStream in = SchemaInitializer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing schema resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
