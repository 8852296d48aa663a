package io.axondlq.spring.web;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No package cycle between the API ({@code io.axondlq.spring.web}) and its authorization
 * ({@code io.axondlq.spring.web.security}): security depends on the API, the API never on security (not even by a
 * fully qualified name in code). Read from the sources, as the module's tests run in its directory.
 */
class WebPackageDependenciesTest {

    private static final Path WEB = Path.of("src/main/java/io/axondlq/spring/web");
    /** A use of the security package outside comments: an import or a qualified name in code. */
    private static final Pattern SECURITY_USE = Pattern.compile("io\\.axondlq\\.spring\\.web\\.security\\.[A-Z]");

    @Test
    void theApiDoesNotDependOnItsSecurityPackage() throws IOException {
        assertThat(WEB.resolve("security")).isDirectory();
        List<String> uses = new ArrayList<>();
        try (Stream<Path> files = Files.list(WEB)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = withoutComments(Files.readString(file));
                if (SECURITY_USE.matcher(code).find()) {
                    uses.add(file.getFileName().toString());
                }
            }
        }
        assertThat(uses).as("classes of io.axondlq.spring.web using io.axondlq.spring.web.security").isEmpty();
    }

    @Test
    void theSecurityPackageUsesTheApi() throws IOException {
        // the dependency goes this way, so that the check above is the whole story and not a vacuous one
        String interceptor = Files.readString(WEB.resolve("security/DeadLetterAuthorizationInterceptor.java"));
        assertThat(interceptor).contains("import io.axondlq.spring.web.DeadLetterRestEndpoint;");
    }

    private static String withoutComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
    }
}
