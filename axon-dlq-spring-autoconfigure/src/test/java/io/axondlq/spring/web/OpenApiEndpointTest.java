package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET {base-path}/openapi.json} over the real servlet stack, in an application without springdoc (it is on the
 * test classpath but off): served to readers (and writers) as the shipped document with the base path as its server,
 * refused like every other read without authentication or authority.
 */
class OpenApiEndpointTest extends RestApiTestSupport {

    private Http.Response as(String user, String authorities) {
        return anonymous.get("/openapi.json", TestAuthenticationFilter.USER, user, TestAuthenticationFilter.AUTHORITIES,
                             authorities);
    }

    @Test
    void aReaderGetsTheShippedDocumentWithTheBasePathAsItsServer() {
        Http.Response response = as("reader", READ_AUTHORITY);
        JsonNode served = ok(response);
        assertThat(served.path("openapi").asText()).startsWith("3.1.");
        assertThat(served.path("servers")).hasSize(1);
        assertThat(served.path("servers").get(0).path("url").asText()).isEqualTo(Http.BASE);
        ObjectNode shipped = (ObjectNode) OpenApiDocuments.parse(OpenApiDocumentTest.shipped());
        shipped.remove("servers");
        ObjectNode withoutServers = served.deepCopy();
        withoutServers.remove("servers");
        assertThat(withoutServers).isEqualTo(shipped);
        assertThat(served.path("paths").has("/openapi.json")).as("the document describes itself").isTrue();
    }

    @Test
    void theWriteAuthorityMayReadItToo() {
        assertThat(as("admin-user", ADMIN_AUTHORITY).status()).isEqualTo(200);
        assertThat(http.sendRaw("HEAD", Http.BASE + "/openapi.json", null).status()).isEqualTo(200);
    }

    @Test
    void withoutTheReadAuthorityItIsRefused() {
        JsonNode unauthenticated = problem(anonymous.get("/openapi.json"), 401);
        assertThat(unauthenticated.path("type").asText()).isEqualTo(ProblemType.UNAUTHENTICATED.type());
        JsonNode forbidden = problem(as("auditor", "SOMETHING_ELSE"), 403);
        assertThat(forbidden.path("type").asText()).isEqualTo(ProblemType.FORBIDDEN.type());
        assertThat(forbidden.path("requiredAuthority").asText()).isEqualTo(READ_AUTHORITY);
        problem(as("nobody", ""), 403);
    }

    /**
     * A client that takes only another format (OpenAPI tooling asks for YAML) is told so: 406, not a 405 that names
     * the very method it used ("GET is not supported here; allowed: [GET, HEAD]").
     */
    @Test
    void aClientThatTakesNoJsonGetsNotAcceptable() {
        for (String accept : List.of("application/yaml", "text/html")) {
            JsonNode notAcceptable = problem(http.get("/openapi.json", "Accept", accept), 406);
            assertThat(notAcceptable.path("type").asText()).as(accept).isEqualTo(ProblemType.NOT_ACCEPTABLE.type());
        }
        assertThat(http.sendRaw("HEAD", Http.BASE + "/openapi.json", null, "Accept", "application/yaml").status())
                .isEqualTo(406);
    }

    @Test
    void unknownParametersAndOtherMethodsAreProblems() {
        problem(http.get("/openapi.json?format=yaml"), 400);
        JsonNode notAllowed = problem(http.post("/openapi.json", "{}"), 405);
        assertThat(notAllowed.path("allow").asText()).contains("GET");
    }
}
