package io.axondlq.sample;

import org.junit.jupiter.api.io.TempDir;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;

/**
 * The walkthrough on PostgreSQL: the {@code postgres} profile without {@code spring.datasource.url}, so the sample
 * starts its embedded PostgreSQL server itself, exactly as {@code -Dspring-boot.run.profiles=postgres} does.
 */
@ActiveProfiles("postgres")
class PostgresWalkthroughTest extends WalkthroughTestBase {

    /** The server's data directory; the server is stopped with the context after the class, then this is removed. */
    @TempDir
    static Path directory;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("sample.postgres.data-directory", () -> directory.resolve("pgdata").toString());
    }
}
