package io.axondlq.spring.web;

import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.operations.DeadLetterOperations;
import org.springframework.transaction.PlatformTransactionManager;

import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.config.DeadLetteringEventProcessingModule;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.jdbc.JdbcDeadLetterStore;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.web.testapp.AccountCredited;
import io.axondlq.testsupport.CountingDataSource;
import org.axonframework.eventhandling.GenericEventMessage;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.util.LinkedMultiValueMap;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11's export bound: an export reads a page of letters and then the attempt histories of the whole page, so its
 * statements grow with the pages, never with the letters. Counted on the application's real database through the
 * core test support's {@link CountingDataSource}, with the real controller, views and audit.
 */
class ExportStatementCountTest extends RestApiTestSupport {

    @Autowired
    DataSource dataSource;
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

    @Test
    void anExportOf600LettersWithHistoriesTakesTwoStatementsPerPage() throws Exception {
        String key = "export-count-" + UUID.randomUUID();
        IllegalStateException cause = new IllegalStateException("broke");
        int letters = DeadLetterOperations.EXPORT_PAGE_SIZE + 100;
        for (int i = 0; i < letters; i++) {
            store.enqueue(GROUP, LetterDraft.failed(
                    key, GenericEventMessage.asEventMessage(new AccountCredited(key, i, "n")), cause,
                    List.of(AttemptRecord.of(1, Instant.now(), "node-a", cause),
                            AttemptRecord.of(2, Instant.now(), "node-b", cause))));
        }
        CountingDataSource counting = new CountingDataSource(dataSource);
        JdbcDeadLetterStore countedStore = JdbcDeadLetterStore.builder()
                                                              .dataSource(counting)
                                                              .eventSerializer(JacksonSerializer.defaultSerializer())
                                                              .genericSerializer(JacksonSerializer.defaultSerializer())
                                                              .build();
        DeadLetterOperations operations = new DeadLetterOperations(countedStore, auditLog, transactionManager,
                                                                   DeadLetterObserver.NOOP, () -> null);
        DeadLetterExportController controller = new DeadLetterExportController(
                operations, new KnownProcessingGroups(countedStore, module), views, actor, properties,
                new ExportSlots(1));
        LinkedMultiValueMap<String, String> params = new LinkedMultiValueMap<>();
        params.add("sequence", key);
        params.add("format", "ndjson");
        MockHttpServletResponse response = new MockHttpServletResponse();

        counting.reset();
        controller.export(GROUP, params, new MockHttpServletRequest("GET", "/dead-letters/processing-groups/ledger/"
                + "export"), response);

        List<String> lines = Http.lines(response.getContentAsString());
        assertThat(lines).hasSize(letters);
        for (String line : lines) {
            JsonNode letter = Http.JSON.readTree(line);
            assertThat(letter.path("attemptHistory")).hasSize(2);
            assertThat(letter.path("attemptHistory").get(1).path("node").asText()).isEqualTo("node-b");
        }
        // 2 pages: per page the letters, then the page's attempt histories (the audit entry goes through the
        // application's own store, not counted here). One statement per letter would be 600 more.
        assertThat(counting.executions()).as("statements of the export").hasSize(4);
        assertThat(counting.executions()).filteredOn(e -> e.sql().contains("axon_dlq_attempt")).hasSize(2);
        store.evictSequence(GROUP, key);
    }
}
