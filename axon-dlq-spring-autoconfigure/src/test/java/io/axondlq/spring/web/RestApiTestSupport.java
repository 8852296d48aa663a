package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.web.testapp.DlqWebTestApplication;
import io.axondlq.spring.web.testapp.LedgerProjection;
import io.axondlq.spring.web.testapp.Poison;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.ActiveProfiles;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The running test application over real HTTP, and helpers to drive dead letters into it. The REST API runs with its
 * default authorities ({@code DLQ_READ}, {@code DLQ_ADMIN}); {@link #http} is authenticated as {@value #OPERATOR} with
 * {@code DLQ_ADMIN} (through {@link TestAuthenticationFilter}), {@link #anonymous} is not authenticated.
 */
@SpringBootTest(classes = DlqWebTestApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("dlqweb")
abstract class RestApiTestSupport {

    static final String GROUP = LedgerProjection.GROUP;
    static final String PROBLEM_JSON = "application/problem+json";
    static final String OPERATOR = "operator";
    static final String ADMIN_AUTHORITY = "DLQ_ADMIN";
    static final String READ_AUTHORITY = "DLQ_READ";

    @LocalServerPort
    int port;
    @Autowired
    Poison poison;
    @Autowired
    DlqWebTestApplication.Accounts accounts;
    @Autowired
    DeadLetterStore store;
    @Autowired
    JdbcTemplate jdbc;

    /** Authenticated as {@value #OPERATOR} with {@value #ADMIN_AUTHORITY}. */
    Http http;
    /** Not authenticated. */
    Http anonymous;

    @BeforeEach
    void http() {
        http = new Http(port, TestAuthenticationFilter.USER, OPERATOR, TestAuthenticationFilter.AUTHORITIES,
                        ADMIN_AUTHORITY);
        anonymous = new Http(port);
    }

    /** A fresh poisoned account with {@code events} letters (the first failed, the rest parked behind it). */
    String poisoned(String prefix, int events) {
        String account = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        poison.poison(account);
        accounts.creditAndAwaitLetters(account, events);
        return account;
    }

    JsonNode ok(Http.Response response) {
        assertThat(response.status()).as(response.toString()).isBetween(200, 299);
        assertThat(response.contentType()).as(response.toString()).startsWith("application/json");
        return response.json();
    }

    JsonNode problem(Http.Response response, int status) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.contentType()).as(response.toString()).startsWith(PROBLEM_JSON);
        JsonNode body = response.json();
        assertThat(body.path("type").asText()).as(response.toString()).startsWith("urn:axon-dlq:problem:");
        assertThat(body.path("title").asText()).as(response.toString()).isNotBlank();
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("detail").asText()).as(response.toString()).isNotBlank();
        return body;
    }

    /** Follows nextCursor through a listing. */
    List<JsonNode> all(String path, int limit) {
        List<JsonNode> items = new ArrayList<>();
        String cursor = null;
        String separator = path.contains("?") ? "&" : "?";
        int pages = 0;
        do {
            JsonNode page = ok(http.get(path + separator + "limit=" + limit
                                                + (cursor == null ? "" : "&cursor=" + cursor)));
            page.path("items").forEach(items::add);
            cursor = page.path("nextCursor").isNull() ? null : page.path("nextCursor").asText();
            assertThat(++pages).as("pages of " + path).isLessThan(10_000);
        } while (cursor != null);
        return items;
    }

    List<JsonNode> letters(String account) {
        return all("/processing-groups/" + GROUP + "/letters?sequence=" + Http.encode(account), 100);
    }

    /** Row counts and letter state of every table the API could change. */
    Map<String, Object> snapshot() {
        Map<String, Object> snapshot = new LinkedHashMap<>();
        for (String table : List.of("axon_dlq_letter", "axon_dlq_sequence", "axon_dlq_attempt", "axon_dlq_audit",
                                    "axon_dlq_retry_job", "axon_dlq_retry_job_sequence", "ledger_entry")) {
            snapshot.put(table, jdbc.queryForObject("SELECT COUNT(*) FROM " + table, Long.class));
        }
        snapshot.put("letter-state", jdbc.queryForList(
                "SELECT letter_id, attempts, last_touched, cause_type FROM axon_dlq_letter ORDER BY letter_id"));
        snapshot.put("sequence-state", jdbc.queryForList(
                "SELECT processing_group, sequence_key, letter_count, claim_owner FROM axon_dlq_sequence "
                        + "ORDER BY processing_group, sequence_key"));
        return snapshot;
    }
}
