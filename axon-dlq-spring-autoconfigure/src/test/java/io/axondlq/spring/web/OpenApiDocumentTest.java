package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.spring.web.testapp.DlqWebTestApplication;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import org.junit.jupiter.api.Test;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The shipped OpenAPI document ({@value OpenApiController#RESOURCE}) against the controllers: springdoc (test scope
 * only) generates the document from the running application, {@link OpenApiDocuments} normalizes it, and it must equal
 * the shipped file. When the API changes, regenerate the file (from the repository root):
 * <pre>
 * mvn -B -o -pl axon-dlq-spring-autoconfigure -am -Dtest=OpenApiDocumentTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Daxon.dlq.openapi.write=true test
 * </pre>
 * The application runs below a servlet context path and with a non-default base path, so the same run shows that the
 * served document names where the API really is.
 */
@SpringBootTest(classes = DlqWebTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
                "server.servlet.context-path=" + OpenApiDocumentTest.CONTEXT_PATH,
                "axon.dlq.rest.base-path=" + OpenApiDocumentTest.BASE_PATH,
                "springdoc.api-docs.enabled=true",
                "springdoc.api-docs.version=openapi_3_1",
                "springdoc.packages-to-scan=io.axondlq.spring.web",
                "springdoc.paths-to-match=" + OpenApiDocumentTest.BASE_PATH + "," + OpenApiDocumentTest.BASE_PATH
                        + "/**",
                // our problem responses come from OpenApiProblemDocumentation, not from the advice's handler
                "springdoc.override-with-generic-response=false",
                "springdoc.default-produces-media-type=application/json",
                // query parameters bound to a record or bean are listed one by one
                "springdoc.default-flat-param-object=true"})
@ActiveProfiles("dlqweb")
@Import(OpenApiDocumentTest.Generation.class)
class OpenApiDocumentTest {

    static final String CONTEXT_PATH = "/app";
    static final String BASE_PATH = "/ops/dead-letters";
    static final String WRITE_PROPERTY = "axon.dlq.openapi.write";
    static final Path SOURCE = Path.of("src/main/resources", OpenApiController.RESOURCE);
    static final String REGENERATE = "mvn -B -o -pl axon-dlq-spring-autoconfigure -am -Dtest=OpenApiDocumentTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -D" + WRITE_PROPERTY + "=true test";

    @TestConfiguration(proxyBeanMethods = false)
    static class Generation {

        static {
            // The fallback answers every unmatched request under the base path with a problem; it is no endpoint.
            SpringDocUtils.getConfig().addHiddenRestControllers(DeadLetterFallbackController.class);
        }

        @Bean
        OpenApiProblemDocumentation openApiProblemDocumentation() {
            return new OpenApiProblemDocumentation();
        }
    }

    @LocalServerPort
    int port;
    @Autowired
    ApplicationContext context;

    private Http http() {
        return new Http(port, TestAuthenticationFilter.USER, "reader", TestAuthenticationFilter.AUTHORITIES,
                        "DLQ_READ");
    }

    private ObjectNode generated() {
        Http.Response response = http().sendRaw("GET", CONTEXT_PATH + "/v3/api-docs", null);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        return OpenApiDocuments.normalize(response.json(), BASE_PATH);
    }

    static String shipped() {
        ClassLoader loader = OpenApiController.class.getClassLoader();
        try (InputStream in = loader.getResourceAsStream(OpenApiController.RESOURCE)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theShippedDocumentIsTheOneGeneratedFromTheControllers() throws IOException {
        ObjectNode generated = generated();
        assertThat(generated.path("openapi").asText()).startsWith("3.1.");
        String printed = OpenApiDocuments.print(generated);
        if (Boolean.getBoolean(WRITE_PROPERTY)) {
            assertThat(Path.of("src/main/resources")).as("run from the module directory (Maven does)").isDirectory();
            Files.createDirectories(SOURCE.getParent());
            Files.writeString(SOURCE, printed, StandardCharsets.UTF_8);
            System.out.println("axon-dlq: wrote " + SOURCE.toAbsolutePath());
            return;
        }
        String shipped = shipped();
        if (shipped == null) {
            fail(OpenApiController.RESOURCE + " is missing; generate it with\n  " + REGENERATE);
        }
        List<String> differences = OpenApiDocuments.differences(OpenApiDocuments.parse(shipped), generated);
        if (!differences.isEmpty()) {
            fail("The shipped OpenAPI document (" + SOURCE + ") does not match the controllers:\n  "
                         + String.join("\n  ", differences) + "\nIf the API change is intended, regenerate it with\n  "
                         + REGENERATE + "\nand commit the file.");
        }
        assertThat(shipped).as("the shipped file is printed the way the generator prints it; regenerate with "
                                       + REGENERATE).isEqualTo(printed);
    }

    /** springdoc saw every endpoint of the API, and nothing else (not the fallback, not the host's endpoints). */
    @Test
    void theDocumentHasEveryEndpointOfTheApiAndNothingElse() {
        Set<String> mapped = new TreeSet<>();
        for (RequestMappingHandlerMapping mapping : context.getBeansOfType(RequestMappingHandlerMapping.class)
                                                           .values()) {
            mapping.getHandlerMethods().forEach((info, method) -> {
                Class<?> type = method.getBeanType();
                if (DeadLetterRestEndpoint.class.isAssignableFrom(type)
                        && !DeadLetterFallbackController.class.isAssignableFrom(type)) {
                    endpoints(info).forEach(mapped::add);
                }
            });
        }
        Set<String> documented = new TreeSet<>();
        JsonNode paths = generated().path("paths");
        for (Iterator<String> it = paths.fieldNames(); it.hasNext(); ) {
            String path = it.next();
            paths.get(path).fieldNames().forEachRemaining(method -> documented.add(method.toUpperCase() + " " + path));
        }
        assertThat(mapped).as("the controllers' endpoints").hasSizeGreaterThanOrEqualTo(16);
        assertThat(documented).isEqualTo(mapped);
    }

    private static List<String> endpoints(RequestMappingInfo info) {
        List<String> endpoints = new ArrayList<>();
        for (PathPattern pattern : info.getPathPatternsCondition().getPatterns()) {
            String path = pattern.getPatternString().substring(BASE_PATH.length());
            info.getMethodsCondition().getMethods().forEach(m -> endpoints.add(m.name() + " " + path));
        }
        return endpoints;
    }

    /** Every operation documents its problem responses, and the catalogue names every problem type. */
    @Test
    void theDocumentNamesEveryProblemTypeAndEveryOperationItsProblems() {
        JsonNode document = OpenApiDocuments.parse(shipped() == null ? "{}" : shipped());
        JsonNode problem = document.path("components").path("schemas").path(OpenApiProblemDocumentation.PROBLEM_SCHEMA);
        List<String> types = new ArrayList<>();
        problem.path("properties").path("type").path("enum").forEach(t -> types.add(t.asText()));
        assertThat(types).containsExactlyElementsOf(Arrays.stream(ProblemType.values()).map(ProblemType::type)
                                                          .toList());
        List<String> missing = new ArrayList<>();
        document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            for (String status : List.of("400", "401", "403", "500")) {
                JsonNode response = op.getValue().path("responses").path(status);
                if (!response.path("content").has(OpenApiProblemDocumentation.PROBLEM_JSON)) {
                    missing.add(op.getKey() + " " + path.getKey() + " " + status);
                }
            }
        }));
        assertThat(missing).isEmpty();
        assertThat(document.path("paths").size()).as("paths in the shipped document").isPositive();
    }

    /** The served document is the shipped one, naming context path + configured base path as its server. */
    @Test
    void theServedDocumentNamesWhereTheApiIs() {
        Http http = http();
        Http.Response response = http.sendRaw("GET", CONTEXT_PATH + BASE_PATH + "/openapi.json", null);
        assertThat(response.status()).as(response.toString()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("application/json");
        JsonNode served = response.json();
        assertThat(served.path("servers")).hasSize(1);
        String server = served.path("servers").get(0).path("url").asText();
        assertThat(server).isEqualTo(CONTEXT_PATH + BASE_PATH);
        ObjectNode expected = (ObjectNode) OpenApiDocuments.parse(shipped());
        expected.remove("servers");
        ObjectNode actual = served.deepCopy();
        actual.remove("servers");
        assertThat(actual).isEqualTo(expected);
        // a documented path below the named server is an endpoint of the API
        assertThat(served.path("paths").has("/processing-groups")).isTrue();
        Http.Response groups = http.sendRaw("GET", server + "/processing-groups", null);
        assertThat(groups.status()).as(groups.toString()).isEqualTo(200);
    }
}
