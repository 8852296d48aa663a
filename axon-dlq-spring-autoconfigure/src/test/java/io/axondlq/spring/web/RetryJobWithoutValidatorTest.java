package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import io.axondlq.testsupport.FreshDatabase;
import io.axondlq.testsupport.TestDatabase;
import io.axondlq.testsupport.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.jdbc.core.JdbcTemplate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /retry-jobs} in an application without a Bean Validation provider (no
 * {@code spring-boot-starter-validation}), on PostgreSQL: the request records' constraints are not checked there, so
 * the core's own checks must answer. A filter with NUL, which PostgreSQL's text types refuse, was a 500 from the
 * snapshot query; a type longer than its column a job no letter could match. Each is a 400 problem naming the member,
 * and nothing is written (no job, no snapshot, no audit entry).
 * <p>
 * The test JVM has Hibernate Validator on its class path, and Bean Validation finds it through its own class loader
 * whatever the application's is; so the application runs in a JVM of its own ({@link ApplicationProcess}) whose class
 * path leaves Hibernate Validator out, as an application without the starter has it.
 */
class RetryJobWithoutValidatorTest {

    private static final String PROBLEM_JSON = "application/problem+json";

    private static FreshDatabase db;
    private static ApplicationProcess application;
    private static JdbcTemplate jdbc;

    private Http http;

    @BeforeAll
    static void startWithoutValidationProvider() {
        db = TestDatabases.fresh(TestDatabase.POSTGRES);
        jdbc = new JdbcTemplate(db.dataSource());
        // The test application's own tables in PostgreSQL's dialect (as PostgresDashboardBrowserTest makes them).
        jdbc.execute("CREATE TABLE IF NOT EXISTS ledger_entry (entry_id BIGSERIAL PRIMARY KEY, "
                             + "account_id VARCHAR(255) NOT NULL, amount BIGINT NOT NULL, note VARCHAR(255))");
        jdbc.execute("CREATE TABLE IF NOT EXISTS TokenEntry (processorName VARCHAR(255) NOT NULL, "
                             + "segment INTEGER NOT NULL, token BYTEA NULL, tokenType VARCHAR(255) NULL, "
                             + "timestamp VARCHAR(255) NULL, owner VARCHAR(255) NULL, "
                             + "PRIMARY KEY (processorName, segment))");
        String password = db.dataSource().getPassword();
        application = ApplicationProcess.start(
                "retry-jobs-without-validator", entry -> entry.contains("hibernate-validator"),
                "spring.datasource.url=" + db.jdbcUrl(),
                "spring.datasource.username=" + db.dataSource().getUsername(),
                "spring.datasource.password=" + (password == null ? "" : password),
                "spring.sql.init.mode=never",
                "axon.dlq.jdbc.initialize-schema=always");
    }

    @AfterAll
    static void stop() {
        if (application != null) {
            application.close();
        }
        if (db != null) {
            db.close();
        }
    }

    @BeforeEach
    void http() {
        http = new Http(application.port, TestAuthenticationFilter.USER, "operator",
                        TestAuthenticationFilter.AUTHORITIES, "DLQ_ADMIN");
    }

    @Test
    void theApplicationHasNoValidationProvider() {
        // Spring's OptionalValidatorFactoryBean, as in an application without spring-boot-starter-validation
        assertThat(application.log()).as("the application's log")
                                     .contains("no Jakarta Bean Validation provider could be found");
        // Bean Validation would say "must be greater than or equal to 1"; the core says its own range
        JsonNode problem = problem(http.post("/retry-jobs", "{\"processingGroup\": \"ledger\", \"batchSize\": 0}"));
        assertThat(problem.path("member").asText()).isEqualTo("batchSize");
        assertThat(problem.path("detail").asText()).isEqualTo("[batchSize] must be between 1 and 1000");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            filter.causeType   | {"processingGroup": "ledger", "filter": {"causeType": "java.lang.Illegal\\u0000StateException"}} | [filter.causeType] must not contain NUL characters
            filter.payloadType | {"processingGroup": "ledger", "filter": {"payloadType": "\\u0000"}}                              | [filter.payloadType] must not contain NUL characters
            filter.causeType   | {"processingGroup": "ledger", "filter": {"causeType": "LONG"}}                                  | [filter.causeType] must be at most 512 characters, was 513
            filter.payloadType | {"processingGroup": "ledger", "filter": {"payloadType": "LONG"}}                                | [filter.payloadType] must be at most 512 characters, was 513
            processingGroup    | {"processingGroup": "ledger\\u0000"}                                                             | [processingGroup] must not contain NUL characters
            """)
    void aFilterTheDatabaseCannotTakeIsA400NamingItsMemberAndWritesNothing(String member, String body,
                                                                            String detail) {
        Map<String, Long> before = rows();

        Http.Response response = http.post("/retry-jobs", body.replace("LONG", "x".repeat(513)));

        JsonNode problem = problem(response);
        assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:invalid-request-body");
        assertThat(problem.path("member").asText()).isEqualTo(member);
        assertThat(problem.path("detail").asText()).isEqualTo(detail);
        assertThat(rows()).as("nothing written").isEqualTo(before);
        assertThat(application.log()).doesNotContain("invalid byte sequence");

        // the same application takes a valid job
        Http.Response created = http.post("/retry-jobs", "{\"processingGroup\": \"ledger\", \"filter\": "
                + "{\"causeType\": \"com.example.NeverThrown\"}}");
        assertThat(created.status()).as(created.toString()).isEqualTo(202);
        JsonNode job = created.json();
        assertThat(job.path("state").asText()).as(created.toString()).isEqualTo("COMPLETED");
        assertThat(rows().get("axon_dlq_retry_job")).isEqualTo(before.get("axon_dlq_retry_job") + 1);
    }

    private static JsonNode problem(Http.Response response) {
        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertThat(response.contentType()).as(response.toString()).startsWith(PROBLEM_JSON);
        JsonNode body = response.json();
        assertThat(body.path("status").asInt()).isEqualTo(400);
        return body;
    }

    private static Map<String, Long> rows() {
        Map<String, Long> rows = new LinkedHashMap<>();
        for (String table : List.of("axon_dlq_retry_job", "axon_dlq_retry_job_sequence", "axon_dlq_audit")) {
            rows.put(table, jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Long.class));
        }
        return rows;
    }
}
