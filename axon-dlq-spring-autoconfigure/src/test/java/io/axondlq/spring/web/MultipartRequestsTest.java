package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartHttpServletRequest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API takes no multipart bodies: a request to it declaring one is refused with 415 {@code unsupported-media-type}
 * and its body is never parsed. Spring's {@code DispatcherServlet} parses multipart before it chooses a handler, so a
 * truncated body used to fail outside the API's error handling: 500 from the host's error page and a stack trace in
 * the log, for anyone, before authorization and the cross-site guard. The host's own endpoints, outside the base path,
 * still take multipart bodies.
 */
@Import(MultipartRequestsTest.HostUploads.class)
@ExtendWith(OutputCaptureExtension.class)
class MultipartRequestsTest extends RestApiTestSupport {

    static final String MULTIPART = "multipart/form-data; boundary=x";
    /** One part and no closing boundary. */
    static final String TRUNCATED = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue";
    static final String WELL_FORMED = "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--x--\r\n";

    /** The host application's own multipart endpoints, one of them sharing the base path's first characters. */
    @RestController
    static class HostUploads {
        @PostMapping({"/host/upload", "/dead-letters-upload"})
        String upload(@RequestParam("a") String a, MultipartHttpServletRequest multipart) {
            return "part a=" + a;
        }
    }

    @Test
    void truncatedMultipartBodiesAreRefusedAs415ProblemsWithoutAStackTrace(CapturedOutput output) {
        String account = poisoned("multipart", 1);
        String letterId = letters(account).get(0).path("id").asText();
        Map<String, Object> before = snapshot();
        int logged = output.length();
        List<String> wrong = new ArrayList<>();
        for (String[] request : List.of(
                new String[]{"POST", "/retry-jobs"},
                new String[]{"POST", "/processing-groups/ledger/sequences/" + account + "/redeliver"},
                new String[]{"POST", "/processing-groups/ledger/redeliver-oldest"},
                new String[]{"DELETE", "/processing-groups/ledger/letters?confirm=ledger"},
                new String[]{"DELETE", "/letters/" + letterId},
                new String[]{"GET", "/processing-groups"},
                new String[]{"POST", "/nothing-here"})) {
            for (boolean withHeader : List.of(true, false)) {
                for (Http client : List.of(http, anonymous)) {
                    Http.Response response = client.send(request[0], request[1], TRUNCATED, "Content-Type", MULTIPART,
                                                         Http.WRITE_HEADER, withHeader ? "1" : Http.OMIT);
                    String problem = unsupportedMediaType(response);
                    if (problem != null) {
                        wrong.add(request[0] + " " + request[1] + (withHeader ? " with " : " without ")
                                          + Http.WRITE_HEADER + (client == anonymous ? ", anonymous" : "") + " → "
                                          + problem);
                    }
                }
            }
        }
        assertThat(wrong).as("answers that are not 415 unsupported-media-type problems").isEmpty();
        assertThat(snapshot()).as("database after truncated multipart requests").isEqualTo(before);
        String log = output.toString().substring(logged);
        assertThat(log).doesNotContain("MultipartException").doesNotContain(" ERROR ");
    }

    @Test
    void aWellFormedMultipartWriteIsRefusedToo() {
        String account = poisoned("multipart-ok", 1);
        poison.cure(account); // a redelivery would succeed and remove the letter
        Map<String, Object> before = snapshot();

        Http.Response response = http.post("/processing-groups/ledger/sequences/" + account + "/redeliver",
                                           WELL_FORMED, "Content-Type", MULTIPART);

        assertThat(unsupportedMediaType(response)).isNull();
        assertThat(problem(response, 415).path("detail").asText()).contains("multipart");
        assertThat(letters(account)).hasSize(1);
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void theHostsOwnEndpointsStillTakeMultipartBodies() {
        for (String path : List.of("/host/upload", "/dead-letters-upload")) {
            Http.Response response = http.sendRaw("POST", path, WELL_FORMED, "Content-Type", MULTIPART,
                                                  Http.WRITE_HEADER, Http.OMIT);
            assertThat(response.status()).as(path + " → " + response).isEqualTo(200);
            assertThat(response.body()).as(path).isEqualTo("part a=value");
        }
    }

    /** Null when the response is a 415 unsupported-media-type problem, else what it is. */
    private static String unsupportedMediaType(Http.Response response) {
        if (response.status() != 415 || !response.contentType().startsWith(PROBLEM_JSON)) {
            return response.toString();
        }
        JsonNode body = response.json();
        if (!ProblemType.UNSUPPORTED_MEDIA_TYPE.type().equals(body.path("type").asText())
                || body.path("status").asInt() != 415 || body.path("detail").asText().isBlank()
                || !"no-store".equals(response.header("Cache-Control"))) {
            return response.toString();
        }
        return null;
    }
}
