package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A host that matches paths with Spring's {@code AntPathMatcher} ({@code spring.mvc.pathmatch.matching-strategy}, as
 * applications keep for older libraries): the requests no endpoint takes get the same answers as with the default
 * path patterns, 405 with {@code Allow} for a wrong method and 406 for an unacceptable {@code Accept}, not 404.
 */
@TestPropertySource(properties = "spring.mvc.pathmatch.matching-strategy=ant_path_matcher")
class AntPathMatcherHostTest extends RestApiTestSupport {

    @Test
    void unmatchedRequestsAreAnsweredAsWithPathPatterns() {
        String letterId = letters(poisoned("ant", 1)).get(0).path("id").asText();
        assertThat(ok(http.get("/letters/" + letterId)).path("id").asText()).isEqualTo(letterId);

        JsonNode notAllowed = problem(http.send("PUT", "/processing-groups/ledger/letters", "{}"), 405);
        assertThat(notAllowed.path("type").asText()).isEqualTo(ProblemType.METHOD_NOT_ALLOWED.type());
        assertThat(notAllowed.path("allow").asText()).isEqualTo("DELETE, GET, HEAD");
        JsonNode notAcceptable = problem(http.get("/letters/" + letterId, "Accept", "application/hal+json"), 406);
        assertThat(notAcceptable.path("type").asText()).isEqualTo(ProblemType.NOT_ACCEPTABLE.type());
        problem(http.get("/openapi.json", "Accept", "application/yaml"), 406);
        JsonNode unknown = problem(http.get("/letters/" + UUID.randomUUID() + "/nothing"), 404);
        assertThat(unknown.path("type").asText()).isEqualTo(ProblemType.UNKNOWN_ENDPOINT.type());
    }
}
