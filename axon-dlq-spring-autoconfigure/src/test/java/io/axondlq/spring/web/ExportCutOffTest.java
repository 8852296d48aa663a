package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterDraft;
import io.axondlq.spring.web.testapp.AccountCredited;
import io.axondlq.spring.web.testapp.TestAuthenticationFilter;
import org.axonframework.eventhandling.GenericEventMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.bean.override.mockito.MockitoSpyBean;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyCollection;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.doAnswer;

/**
 * An export that fails once letters have left must not look complete: the status line (200) and part of the body are
 * on the wire, so no problem document can be sent any more; instead the client sees the transfer cut off (the chunked
 * body is never terminated) and nothing is appended to the letters. Over real HTTP (the embedded Tomcat, read from a
 * plain socket), with more than one export page ({@value DeadLetterOperations#EXPORT_PAGE_SIZE} letters each) and the
 * application's own store made to fail when the second page is read. A failure before the first letter is still a
 * 500 problem document.
 */
class ExportCutOffTest extends RestApiTestSupport {

    private static final int LETTERS = DeadLetterOperations.EXPORT_PAGE_SIZE + 20;

    /** The application's store: delegates to the real one unless a test stubs one of its reads to fail. */
    @MockitoSpyBean
    DeadLetterStore spiedStore;
    @Autowired
    ExportSlots slots;

    private String key;

    @BeforeEach
    void parkMoreThanOnePage() {
        key = "export-cut-" + UUID.randomUUID();
        IllegalStateException cause = new IllegalStateException("broke");
        for (int i = 0; i < LETTERS; i++) {
            spiedStore.enqueue(GROUP, LetterDraft.failed(
                    key, GenericEventMessage.asEventMessage(new AccountCredited(key, i, "n")), cause,
                    List.of(AttemptRecord.of(1, Instant.now(), "node-a", cause))));
        }
    }

    @AfterEach
    void evict() {
        store.evictSequence(GROUP, key);
    }

    @Test
    void anNdjsonExportThatFailsOnItsSecondPageIsCutOffWithoutAProblemRecord() throws Exception {
        AtomicInteger secondPages = failOnTheSecondPage();

        Wire wire = Wire.get(port, exportPath("ndjson"));

        assertThat(secondPages).as("the export reached its second page").hasValue(1);
        assertThat(wire.status()).as(wire.head()).isEqualTo(200);
        assertThat(wire.head()).containsIgnoringCase("Transfer-Encoding: chunked")
                               .containsIgnoringCase("Content-Type: application/x-ndjson");
        assertThat(wire.terminated()).as("the chunked body ends with its last (empty) chunk: looks complete; body: "
                                                 + wire.tail()).isFalse();
        List<String> lines = Http.lines(wire.body());
        assertThat(lines).as("the first page, and nothing after it").hasSize(DeadLetterOperations.EXPORT_PAGE_SIZE);
        for (String line : lines) {
            JsonNode letter = Http.JSON.readTree(line);
            assertThat(letter.path("sequenceKey").asText()).as(line).isEqualTo(key);
            assertThat(letter.has("type")).as("a problem record: " + line).isFalse();
        }
        assertThat(wire.body()).doesNotContain("urn:axon-dlq:problem").doesNotContain("\"status\"");
        assertCutOffForAnHttpClient(exportPath("ndjson"));
        assertThat(slots.available()).as("every export gave its slot back").isEqualTo(2);
        JsonNode audit = lastExportAudit();
        assertThat(audit.path("outcome").asText()).isEqualTo("failure");
        // The failure's type, never its message: a message may quote letter data, which audit readers may not see.
        assertThat(audit.path("detail").asText()).isEqualTo("stopped after " + DeadLetterOperations.EXPORT_PAGE_SIZE
                                                                    + " letters: java.lang.IllegalStateException");
    }

    @Test
    void aJsonExportThatFailsOnItsSecondPageIsCutOffAndStaysAnUnfinishedArray() throws Exception {
        failOnTheSecondPage();

        Wire wire = Wire.get(port, exportPath("json"));

        assertThat(wire.status()).as(wire.head()).isEqualTo(200);
        assertThat(wire.terminated()).as("looks complete; body ends: " + wire.tail()).isFalse();
        // Tomcat renders the application's error page (Spring Boot's /error) into a committed response before it
        // closes the connection; for a JSON response Boot's error attributes follow the cut-off array. That is the
        // host's error page; the API appends no problem document of its own.
        assertThat(wire.body()).startsWith("[{").doesNotContain("urn:axon-dlq:problem");
        assertThat(wire.body().split("\"sequenceKey\":\"" + key + "\"", -1))
                .as("letters of the first page").hasSize(DeadLetterOperations.EXPORT_PAGE_SIZE + 1);
        assertThatThrownBy(() -> Http.JSON.readTree(wire.body())).isInstanceOf(JsonProcessingException.class);
        assertCutOffForAnHttpClient(exportPath("json"));
        assertThat(slots.available()).isEqualTo(2);
    }

    @Test
    void anExportThatFailsBeforeItsFirstLetterIsStillAProblem() throws Exception {
        // the first page is read before the response starts; its attempt histories right after: nothing sent yet
        doAnswer(invocation -> {
            throw new IllegalStateException("database went away");
        }).when(spiedStore).attempts(anyCollection());

        Wire wire = Wire.get(port, exportPath("ndjson"));

        assertThat(wire.status()).as(wire.head()).isEqualTo(500);
        assertThat(wire.head()).containsIgnoringCase("Content-Type: " + PROBLEM_JSON);
        assertThat(wire.terminated()).as("a complete answer").isTrue();
        JsonNode problem = Http.JSON.readTree(wire.body());
        assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:internal-error");
        assertThat(slots.available()).isEqualTo(2);
    }

    /** The real store, except that reading the export's second page (a page after a cursor) fails. */
    private AtomicInteger failOnTheSecondPage() {
        AtomicInteger calls = new AtomicInteger();
        doAnswer(invocation -> {
            String cursor = invocation.getArgument(3);
            int limit = invocation.getArgument(2);
            if (cursor != null && limit == DeadLetterOperations.EXPORT_PAGE_SIZE) {
                calls.incrementAndGet();
                throw new IllegalStateException("database went away");
            }
            return invocation.callRealMethod();
        }).when(spiedStore).letters(anyString(), any(), anyInt(), any());
        return calls;
    }

    private String exportPath(String format) {
        return Http.BASE + "/processing-groups/" + GROUP + "/export?format=" + format + "&sequence=" + key;
    }

    /** What an ordinary client makes of it: an error, not a body. */
    private void assertCutOffForAnHttpClient(String path) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                      .connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                                         .timeout(Duration.ofSeconds(60))
                                         .header(TestAuthenticationFilter.USER, OPERATOR)
                                         .header(TestAuthenticationFilter.AUTHORITIES, ADMIN_AUTHORITY)
                                         .GET().build();
        assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
                .as("an HTTP client reading the whole body").isInstanceOf(IOException.class);
    }

    private JsonNode lastExportAudit() {
        List<JsonNode> entries = all("/audit?action=export", 500);
        return entries.get(entries.size() - 1);
    }

    /**
     * One response as it arrived on a plain socket: head, the body with its chunked framing removed, and whether the
     * body ended with the last (empty) chunk, which is how a chunked transfer says it is complete.
     */
    record Wire(String head, String body, boolean terminated) {

        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }

        String tail() {
            return body.length() > 300 ? body.substring(body.length() - 300) : body;
        }

        static Wire get(int port, String path) throws IOException {
            try (Socket socket = new Socket("localhost", port)) {
                socket.setSoTimeout(60_000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + TestAuthenticationFilter.USER + ": "
                        + OPERATOR + "\r\n" + TestAuthenticationFilter.AUTHORITIES + ": " + ADMIN_AUTHORITY
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[8192];
                try {
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        bytes.write(buffer, 0, n);
                    }
                } catch (IOException e) {
                    // reset by the server: what arrived is what the client has
                }
                return parse(bytes.toByteArray());
            }
        }

        private static Wire parse(byte[] raw) {
            String text = new String(raw, StandardCharsets.ISO_8859_1);
            int headEnd = text.indexOf("\r\n\r\n");
            assertThat(headEnd).as("a response head: " + text).isPositive();
            String head = text.substring(0, headEnd);
            if (!head.toLowerCase(java.util.Locale.ROOT).contains("transfer-encoding: chunked")) {
                // a fixed length: complete when every announced byte arrived
                String body = text.substring(headEnd + 4);
                long length = head.lines().filter(l -> l.toLowerCase(java.util.Locale.ROOT)
                                                        .startsWith("content-length:"))
                                  .mapToLong(l -> Long.parseLong(l.substring(15).trim())).findFirst().orElse(-1);
                return new Wire(head, utf8(body), length == raw.length - headEnd - 4);
            }
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            int at = headEnd + 4;
            while (true) {
                int lineEnd = text.indexOf("\r\n", at);
                if (lineEnd < 0) {
                    return new Wire(head, utf8(body), false);
                }
                String sizeLine = text.substring(at, lineEnd);
                int semicolon = sizeLine.indexOf(';');
                int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
                if (size == 0) {
                    return new Wire(head, utf8(body), text.indexOf("\r\n", lineEnd + 2) >= 0);
                }
                int start = lineEnd + 2;
                int end = Math.min(start + size, raw.length);
                body.write(raw, start, end - start);
                if (end < start + size || end + 2 > raw.length) {
                    return new Wire(head, utf8(body), false);
                }
                at = end + 2;
            }
        }

        private static String utf8(ByteArrayOutputStream bytes) {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        private static String utf8(String latin1) {
            return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
        }
    }
}
