package io.axondlq.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * A schema as an earlier axon-dlq's {@code initialize-schema=always} left it: the given migration scripts run as they
 * are, nothing recorded of them. For upgrade tests.
 */
public final class LegacySchema {

    public static final String PREFIX = "axon_dlq_";

    private LegacySchema() {
    }

    /** Runs the scripts (e.g. {@code V1__axon_dlq_schema.sql}) in the given order, each statement committed. */
    public static void apply(DataSource dataSource, TestDatabase kind, String... scripts) {
        String folder = kind == TestDatabase.POSTGRES ? "postgresql" : "h2";
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            for (String script : scripts) {
                String text = read("db/axon-dlq/" + folder + "/" + script).replace("${axon_dlq_prefix}", PREFIX);
                String withoutComments = text.lines().filter(line -> !line.stripLeading().startsWith("--"))
                                             .collect(Collectors.joining("\n"));
                for (String sql : Arrays.stream(withoutComments.split(";")).map(String::strip)
                                        .filter(s -> !s.isEmpty()).toList()) {
                    statement.execute(sql);
                }
            }
            if (!connection.getAutoCommit()) {
                connection.commit();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Could not apply " + Arrays.toString(scripts), e);
        }
    }

    private static String read(String resource) {
        try (InputStream in = LegacySchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing schema resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
