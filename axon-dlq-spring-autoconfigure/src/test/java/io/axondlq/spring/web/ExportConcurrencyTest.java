package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.LinkedMultiValueMap;

import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 11's bounds over the real servlet stack: exports beyond {@code axon.dlq.export.max-concurrent} (2 by default)
 * are refused with 429 and export nothing, and every export gives its slot back however it ends; a group named by a
 * request is checked without reading the statistics of every group.
 */
class ExportConcurrencyTest extends RestApiTestSupport {

    @Autowired
    ExportSlots slots;
    @Autowired
    ObjectProvider<DeadLetteringEventProcessingModule> module;
    @Autowired
    LetterViews views;
    @Autowired
    OperatorActor actor;
    @Autowired
    AuditLog auditLog;
    @Autowired
    PlatformTransactionManager transactionManager;
    @Autowired
    AxonDlqProperties properties;

    private int held;

    @AfterEach
    void releaseHeldSlots() {
        for (; held > 0; held--) {
            slots.release();
        }
    }

    @Test
    void anExportBeyondTheLimitIsRefusedWith429UntilASlotIsFree() {
        String account = poisoned("export-busy", 2);
        String export = "/processing-groups/ledger/export?sequence=" + account;
        assertThat(slots.available()).isEqualTo(2);
        // two exports streaming: the slots they would hold
        slots.acquire();
        held++;
        slots.acquire();
        held++;

        Http.Response busy = http.get(export);
        JsonNode problem = problem(busy, 429);
        assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:export-busy");
        assertThat(problem.path("maxConcurrent").asInt()).isEqualTo(2);
        assertThat(busy.header("Retry-After")).isEqualTo("5");
        assertThat(busy.header("Content-Disposition")).as("nothing exported").isNull();
        // a bad request is still a 400, not a 429
        problem(http.get("/processing-groups/ledger/export?format=xml"), 400);
        assertThat(slots.available()).isZero();

        // the first one finishes
        slots.release();
        held--;
        Http.Response exported = http.get(export);
        assertThat(exported.status()).as(exported.toString()).isEqualTo(200);
        assertThat(exported.json()).hasSize(2);
        assertThat(slots.available()).as("the export gave its slot back").isEqualTo(1);
    }

    @Test
    void everyExportGivesItsSlotBackAlsoWhenTheClientGoesAway() throws Exception {
        poisoned("export-gone", 3);
        assertThat(http.get("/processing-groups/ledger/export").status()).isEqualTo(200);
        assertThat(http.get("/processing-groups/ledger/export?format=ndjson").status()).isEqualTo(200);
        assertThat(http.send("HEAD", "/processing-groups/ledger/export", null).status()).isEqualTo(200);
        assertThat(slots.available()).isEqualTo(2);

        // a client that sends the request and disconnects without reading the answer
        try (Socket socket = new Socket("localhost", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + Http.BASE + "/processing-groups/ledger/export HTTP/1.1\r\nHost: localhost\r\n"
                    + TestAuthenticationFilter.USER + ": " + OPERATOR + "\r\n" + TestAuthenticationFilter.AUTHORITIES
                    + ": " + ADMIN_AUTHORITY + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (slots.available() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(slots.available()).isEqualTo(2);
        assertThat(http.get("/processing-groups/ledger/export").status()).isEqualTo(200);
    }

    /** An export that fails after letters left is {@link ExportCutOffTest}'s (over HTTP, also its slot). */
    @Test
    void anExportThatFailsBeforeItsFirstLetterGivesItsSlotBack() {
        poisoned("export-fails", 2);
        // the real store, except that reading the attempt histories fails: that is done for the first page after it
        // was read and before its first letter is written, so nothing has been sent yet
        DeadLetterStore failing = (DeadLetterStore) Proxy.newProxyInstance(
                DeadLetterStore.class.getClassLoader(), new Class<?>[]{DeadLetterStore.class}, (proxy, method, args) -> {
                    if (method.getName().equals("attempts")) {
                        throw new IllegalStateException("database went away");
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ExportSlots one = new ExportSlots(1);
        DeadLetterOperations operations = new DeadLetterOperations(failing, auditLog, transactionManager, null, null);
        DeadLetterExportController controller = new DeadLetterExportController(
                operations, new KnownProcessingGroups(failing, module), views, actor, properties, one);
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/dead-letters/processing-groups/ledger/export");

        MockHttpServletResponse response = new MockHttpServletResponse();
        assertThatThrownBy(() -> controller.export(GROUP, new LinkedMultiValueMap<>(), request, response))
                .hasMessage("database went away");
        assertThat(response.isCommitted()).as("nothing sent: the failure can still be a problem document").isFalse();
        assertThat(response.getContentAsByteArray()).isEmpty();
        assertThat(one.available()).isEqualTo(1);
    }

    @Test
    void groupExistenceNeverReadsTheStatistics() {
        List<String> calls = new CopyOnWriteArrayList<>();
        DeadLetterStore counting = (DeadLetterStore) Proxy.newProxyInstance(
                DeadLetterStore.class.getClassLoader(), new Class<?>[]{DeadLetterStore.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        KnownProcessingGroups groups = new KnownProcessingGroups(counting, module);

        assertThat(groups.exists(GROUP)).as("running on this node").isTrue();
        assertThat(calls).as("a running group is known without a query").isEmpty();
        assertThat(groups.exists("no-such-group")).isFalse();
        assertThat(calls).containsExactly("letters");
        assertThat(groups.require(GROUP)).isEqualTo(GROUP);
        assertThat(calls).doesNotContain("statistics");

        // and over HTTP: an unknown group is 404, a running group without matching letters 200
        JsonNode unknown = problem(http.get("/processing-groups/no-such-group/letters"), 404);
        assertThat(unknown.path("type").asText()).isEqualTo("urn:axon-dlq:problem:unknown-processing-group");
        JsonNode none = ok(http.get("/processing-groups/ledger/letters?sequence=never-poisoned"));
        assertThat(none.path("items").isArray()).isTrue();
        assertThat(none.path("items")).isEmpty();
    }
}
