package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import io.axondlq.spring.AxonDlqProperties;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code axon.dlq.security.*} with Spring Security on the classpath and nothing configured, so with the DEFAULT
 * authorities ({@code DLQ_READ}, {@code DLQ_ADMIN}): for every endpoint, anonymous → 401, an authenticated user
 * without the authority → 403, a reader on a write → 403, a reader on a read → allowed, an admin → 2xx; refused
 * requests change nothing; the audit log and the retry job record the authenticated name. The host's authentication
 * is simulated by {@link TestAuthenticationFilter}.
 */
class RestApiSecurityTest extends RestApiTestSupport {

    @Autowired
    AxonDlqProperties properties;

    @Test
    void theDefaultAuthoritiesAreInForce() {
        assertThat(properties.getSecurity().getReadAuthority()).isEqualTo(READ_AUTHORITY).isEqualTo("DLQ_READ");
        assertThat(properties.getSecurity().getWriteAuthority()).isEqualTo(ADMIN_AUTHORITY).isEqualTo("DLQ_ADMIN");
    }

    record Endpoint(String method, String path, String body, boolean write) {
        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    @Test
    void everyEndpointNeedsItsAuthority() {
        String redeliver = poisoned("sec-redeliver", 2);
        String evictLetter = poisoned("sec-letter", 2);
        String evictSequence = poisoned("sec-sequence", 1);
        String letterId = store.letters(GROUP, io.axondlq.core.store.LetterFilter.none().withSequenceKey(evictLetter), 10,
                                        null).items().get(1).id().toString();
        String redeliverThroughLetter = headLetter(poisoned("sec-by-letter", 2));
        String evictThroughLetter = headLetter(poisoned("sec-by-letter-evict", 1));
        String someJob = UUID.randomUUID().toString();
        List<Endpoint> endpoints = endpoints(redeliver, letterId, evictSequence, someJob, redeliverThroughLetter,
                                             evictThroughLetter);
        assertThat(endpoints).extracting(Endpoint::toString).as("every endpoint of the API")
                             .hasSize(18);
        Map<String, Object> before = snapshot();
        List<String> auditBefore = auditEntries();

        List<String> failures = new ArrayList<>();
        for (Endpoint e : endpoints) {
            Http.Response unauthenticated = anonymous.send(e.method(), e.path(), e.body());
            expect(failures, e, unauthenticated, 401, "unauthenticated");
            if (!"Basic realm=\"axon-dlq\"".equals(unauthenticated.header("WWW-Authenticate"))) {
                failures.add(e + " 401 without the default WWW-Authenticate challenge → " + unauthenticated.headers());
            }
            expect(failures, e, as("nobody", "", e), 403, "forbidden");
            expect(failures, e, as("auditor", "SOMETHING_ELSE", e), 403, "forbidden");
            if (e.write()) {
                expect(failures, e, as("reader", READ_AUTHORITY, e), 403, "forbidden");
            } else {
                int status = as("reader", READ_AUTHORITY, e).status();
                boolean allowed = e.path().contains(someJob) ? status == 404 : status >= 200 && status < 300;
                if (!allowed) {
                    failures.add("reader " + e + " → " + status);
                }
            }
        }
        // unknown paths under the base path are not revealed to anonymous callers either
        expect(failures, new Endpoint("GET", "/nothing-here", null, false), anonymous.get("/nothing-here"), 401,
               "unauthenticated");
        assertThat(failures).isEmpty();
        Map<String, Object> after = snapshot();
        // the reader's export and letter detail (reads that show payloads) are audited, other reads are not; nothing
        // else changed
        before.remove("axon_dlq_audit");
        after.remove("axon_dlq_audit");
        assertThat(after).as("nothing changed by refused requests").isEqualTo(before);
        List<String> audited = auditEntries();
        audited.removeAll(auditBefore);
        assertThat(audited).hasSize(2)
                           .anyMatch(entry -> entry.endsWith(" reader export"))
                           .anyMatch(entry -> entry.endsWith(" reader read-letter"));

        // the admin may do everything, and is named in the audit log
        for (Endpoint e : endpoints) {
            if (e.path().contains(someJob)) {
                continue; // replaced below by the admin's own job
            }
            Http.Response response = as("admin-user", ADMIN_AUTHORITY, e);
            assertThat(response.status()).as(e + " → " + response).isBetween(200, 299);
            if (e.path().equals("/retry-jobs") && e.method().equals("POST")) {
                JsonNode job = response.json();
                assertThat(response.status()).isEqualTo(202);
                assertThat(job.path("createdBy").asText()).isEqualTo("admin-user");
                String id = job.path("id").asText();
                assertThat(as("admin-user", ADMIN_AUTHORITY, new Endpoint("GET", "/retry-jobs/" + id, null, false))
                                   .status()).isEqualTo(200);
                assertThat(as("admin-user", ADMIN_AUTHORITY, new Endpoint("POST", "/retry-jobs/" + id + "/stop", null,
                                                                      true)).status()).isEqualTo(200);
            }
        }
        // write authority implies read
        assertThat(as("admin-user", ADMIN_AUTHORITY, new Endpoint("GET", "/audit?limit=500", null, false)).status())
                .isEqualTo(200);
        List<String> actions = new ArrayList<>();
        all("/audit", 500).forEach(entry -> {
            if ("admin-user".equals(entry.path("actor").asText())) {
                actions.add(entry.path("action").asText());
            }
        });
        assertThat(actions).contains("redeliver-sequence", "redeliver-oldest", "create-retry-job", "stop-retry-job",
                                     "evict-letter", "evict-sequence", "erase-group", "export");
    }

    /**
     * Spring Security decides, with the application's {@code RoleHierarchy} bean (test application:
     * {@code ROLE_DLQ_SUPERVISOR > ROLE_DLQ_ADMIN}) and the role convention: the configured {@code DLQ_ADMIN} is met
     * by the authority {@code DLQ_ADMIN} or the role {@code ROLE_DLQ_ADMIN}, and by any role that implies it.
     */
    @Test
    void theRoleHierarchyAndTheRolePrefixAreHonoured() {
        String account = poisoned("sec-roles", 1);
        String letterId = store.letters(GROUP, io.axondlq.core.store.LetterFilter.none().withSequenceKey(account), 10,
                                        null).items().get(0).id().toString();
        Endpoint read = new Endpoint("GET", "/letters/" + letterId, null, false);
        Endpoint redeliver = new Endpoint("POST", "/letters/" + letterId + "/redeliver-sequence", null, true);
        Endpoint evict = new Endpoint("DELETE", "/letters/" + letterId + "/sequence", null, true);

        // a role that implies the write role: writes and (through the write authority) reads
        assertThat(as("supervisor", "ROLE_DLQ_SUPERVISOR", read).status()).isEqualTo(200);
        Http.Response redelivered = as("supervisor", "ROLE_DLQ_SUPERVISOR", redeliver);
        assertThat(redelivered.status()).as(redelivered.toString()).isEqualTo(200);
        assertThat(redelivered.json().path("outcome").asText()).isEqualTo("FAILED");
        // the role named like the configured authorities
        assertThat(as("role-reader", "ROLE_DLQ_READ", read).status()).isEqualTo(200);
        assertThat(as("role-reader", "ROLE_DLQ_READ", evict).status()).isEqualTo(403);
        // the hierarchy goes down only, and unrelated or lookalike authorities do not pass
        assertThat(as("admin-role", "ROLE_DLQ_ADMIN", read).status()).isEqualTo(200);
        assertThat(as("supervisor-authority", "DLQ_SUPERVISOR", redeliver).status()).isEqualTo(403);
        assertThat(as("lookalike", "ROLE_DLQ_ADMINS,dlq_admin,ROLE_ROLE_DLQ_ADMIN", evict).status()).isEqualTo(403);
        assertThat(store.contains(GROUP, account)).isTrue();
        Http.Response evicted = as("role-admin", "ROLE_DLQ_ADMIN", evict);
        assertThat(evicted.status()).as(evicted.toString()).isEqualTo(200);
        assertThat(evicted.json().path("removed").asInt()).isEqualTo(1);
        assertThat(store.contains(GROUP, account)).isFalse();
    }

    /** Every audit entry as "id actor action". */
    private List<String> auditEntries() {
        return new ArrayList<>(jdbc.queryForList("SELECT CAST(audit_id AS VARCHAR(36)) || ' ' || actor || ' ' || action "
                                                         + "FROM axon_dlq_audit", String.class));
    }

    private String headLetter(String sequenceKey) {
        return store.letters(GROUP, io.axondlq.core.store.LetterFilter.none().withSequenceKey(sequenceKey), 10, null)
                    .items().get(0).id().toString();
    }

    private static List<Endpoint> endpoints(String redeliverKey, String letterId, String sequenceKey, String jobId,
                                            String redeliverThroughLetter, String evictThroughLetter) {
        return List.of(
                new Endpoint("GET", "/processing-groups", null, false),
                new Endpoint("GET", "/processing-groups/ledger/letters", null, false),
                new Endpoint("GET", "/processing-groups/ledger/sequences", null, false),
                new Endpoint("GET", "/processing-groups/ledger/failure-groups", null, false),
                new Endpoint("GET", "/letters/" + letterId, null, false),
                new Endpoint("GET", "/processing-groups/ledger/export", null, false),
                new Endpoint("GET", "/retry-jobs", null, false),
                new Endpoint("GET", "/retry-jobs/" + jobId, null, false),
                new Endpoint("GET", "/audit", null, false),
                new Endpoint("POST", "/processing-groups/ledger/sequences/" + redeliverKey + "/redeliver", null, true),
                new Endpoint("POST", "/processing-groups/ledger/redeliver-oldest", null, true),
                new Endpoint("POST", "/retry-jobs", "{\"processingGroup\": \"ledger\", \"batchSize\": 1, "
                        + "\"cooldown\": \"PT10S\"}", true),
                new Endpoint("POST", "/retry-jobs/" + jobId + "/stop", null, true),
                new Endpoint("DELETE", "/letters/" + letterId, null, true),
                new Endpoint("DELETE", "/processing-groups/ledger/sequences/" + sequenceKey, null, true),
                new Endpoint("POST", "/letters/" + redeliverThroughLetter + "/redeliver-sequence", null, true),
                new Endpoint("DELETE", "/letters/" + evictThroughLetter + "/sequence", null, true),
                new Endpoint("DELETE", "/processing-groups/ledger/letters?confirm=ledger", null, true));
    }

    private Http.Response as(String user, String authorities, Endpoint e) {
        return anonymous.send(e.method(), e.path(), e.body(), TestAuthenticationFilter.USER, user,
                         TestAuthenticationFilter.AUTHORITIES, authorities);
    }

    private static void expect(List<String> failures, Endpoint e, Http.Response response, int status, String type) {
        if (response.status() != status || !response.contentType().startsWith(PROBLEM_JSON)
                || !response.json().path("type").asText().equals("urn:axon-dlq:problem:" + type)) {
            failures.add(e + " expected " + status + " → " + response);
        }
    }
}
