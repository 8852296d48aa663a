package io.axondlq.sample;

import org.junit.jupiter.api.io.TempDir;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.nio.file.Path;

/** The walkthrough on the default database: H2 in file mode, as {@code spring-boot:run} starts it. */
class H2WalkthroughTest extends WalkthroughTestBase {

    /** Removed by JUnit after the class, once the context is closed (the base class dirties it). */
    @TempDir
    static Path directory;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url",
                     () -> "jdbc:h2:file:" + directory.resolve("sample") + ";DB_CLOSE_ON_EXIT=FALSE");
    }
}
