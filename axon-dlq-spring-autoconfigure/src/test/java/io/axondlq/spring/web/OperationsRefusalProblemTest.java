package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.operations.DeadLetterOperations;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.delete;

/**
 * The operations service's refusals of bad arguments, as the problem advice renders them for an axon-dlq endpoint that
 * passes its input on unchecked. The API's own endpoints check group names first (so over HTTP these names are
 * refused as {@code invalid-path} before the service runs); this endpoint, standing for one that does not, runs in
 * Spring MVC's dispatcher with the application's real operations service and problem advice.
 */
class OperationsRefusalProblemTest extends RestApiTestSupport {

    @Autowired
    DeadLetterOperations operations;
    @Autowired
    DeadLetterProblemAdvice advice;

    /** An axon-dlq endpoint that hands the group to the operations service as it came. */
    @RestController
    static class UncheckedGroupEndpoint implements DeadLetterRestEndpoint {

        private final DeadLetterOperations operations;

        UncheckedGroupEndpoint(DeadLetterOperations operations) {
            this.operations = operations;
        }

        @DeleteMapping("/unchecked/sequence")
        Map<String, Object> evict(@RequestParam("group") String group) {
            return Map.of("removed", operations.evictSequence(OPERATOR, group, "some-key").removed());
        }
    }

    /** Blank, holding U+0000, longer than the group columns: 400 invalid-parameter, nothing changed or audited. */
    @ParameterizedTest
    @ValueSource(strings = {" ", "led\u0000ger", "LONG"})
    void anInvalidProcessingGroupIsA400ProblemNamingTheParameter(String name) throws Exception {
        String group = name.equals("LONG") ? "g".repeat(DeadLetterOperations.MAX_GROUP_LENGTH + 1) : name;
        String account = poisoned("refused-group", 1);
        Instant before = Instant.now().minusSeconds(1);
        MockMvc mvc = MockMvcBuilders.standaloneSetup(new UncheckedGroupEndpoint(operations))
                                     .setMessageConverters(new ApiMessageConverter(),
                                                           new MappingJackson2HttpMessageConverter())
                                     .setControllerAdvice(advice)
                                     .build();

        MvcResult result = mvc.perform(delete("/unchecked/sequence").param("group", group)).andReturn();

        assertThat(result.getResponse().getStatus()).isEqualTo(400);
        assertThat(result.getResponse().getContentType()).startsWith(PROBLEM_JSON);
        JsonNode problem = new ObjectMapper().readTree(result.getResponse().getContentAsString());
        assertThat(problem.path("type").asText()).isEqualTo(ProblemType.INVALID_PARAMETER.type());
        assertThat(problem.path("title").asText()).isEqualTo(ProblemType.INVALID_PARAMETER.title());
        assertThat(problem.path("status").asInt()).isEqualTo(400);
        assertThat(problem.path("parameter").asText()).isEqualTo("processingGroup");
        assertThat(problem.path("detail").asText()).startsWith("Processing group name ");
        assertThat(letters(account)).hasSize(1);
        // The context is shared with other classes' tests, which audit too: look for this request's entry only.
        assertThat(operations.auditEntries(new AuditFilter(OPERATOR, DeadLetterOperations.EVICT_SEQUENCE, null,
                                                           before, null), 100, null).items())
                .as("nothing audited").noneMatch(entry -> "some-key".equals(entry.target()));
    }
}
