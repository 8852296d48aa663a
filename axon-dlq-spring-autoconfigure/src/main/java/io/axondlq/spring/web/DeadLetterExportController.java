package io.axondlq.spring.web;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.AxonDlqProperties.PayloadMode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /processing-groups/{group}/export}: every attribute of every letter matching the listing filters,
 * streamed as a JSON array (default) or NDJSON ({@code Accept: application/x-ndjson} or {@code format=ndjson}).
 * <p>
 * Memory stays constant: letters are read with keyset paging, {@value #PAGE_SIZE} at a time, and written straight to
 * the response. The response is written on the request thread rather than as an asynchronous
 * {@code StreamingResponseBody}, so that a long export is not cut off by the container's async request timeout.
 * Everything that can be refused (filters, group, cursor) is checked before the first byte is written. The export is
 * recorded in the audit log with the number of letters written.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class DeadLetterExportController implements DeadLetterRestEndpoint {

    static final int PAGE_SIZE = 500;
    public static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");
    private static final Logger logger = LoggerFactory.getLogger(DeadLetterExportController.class);
    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final DeadLetterStore store;
    private final KnownProcessingGroups groups;
    private final LetterViews views;
    private final OperatorAudit audit;
    private final AxonDlqProperties properties;
    private final ExportSlots slots;

    public DeadLetterExportController(DeadLetterStore store, KnownProcessingGroups groups, LetterViews views,
                                      OperatorAudit audit, AxonDlqProperties properties, ExportSlots slots) {
        this.slots = slots;
        this.store = store;
        this.groups = groups;
        this.views = views;
        this.audit = audit;
        this.properties = properties;
    }

    @GetMapping("/processing-groups/{group}/export")
    public void export(@PathVariable("group") String group, @RequestParam MultiValueMap<String, String> params,
                       HttpServletRequest request, HttpServletResponse response) throws IOException {
        RequestParameters parameters = RequestParameters.of(params, RequestParameters.FILTERS, Set.of("format"));
        LetterFilter filter = parameters.letterFilter();
        boolean ndjson = ndjson(parameters.text("format", 16), request.getHeader(HttpHeaders.ACCEPT));
        String name = groups.require(group);
        PayloadMode mode = views.policy().exportMode();
        // Taken after every other check (a bad request stays 400, not 429) and released however the export ends.
        slots.acquire();
        try {
            stream(name, filter, ndjson, mode, request, response);
        } finally {
            slots.release();
        }
    }

    private void stream(String name, LetterFilter filter, boolean ndjson, PayloadMode mode,
                        HttpServletRequest request, HttpServletResponse response) throws IOException {
        // Reading the first page up front surfaces every store error while a problem response is still possible.
        Page<StoredLetter> page = store.letters(name, filter, PAGE_SIZE, null);

        ObjectNode auditParameters = ApiJson.object().put("processingGroup", name)
                                            .put("format", ndjson ? "ndjson" : "json")
                                            .put("payloadMode", mode.name());
        auditParameters.set("filter", ApiJson.tree(filter));

        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(ndjson ? NDJSON.toString() : MediaType.APPLICATION_JSON_VALUE);
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.setHeader(HttpHeaders.CACHE_CONTROL, "no-store");
        response.setHeader(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(
                "dead-letters-" + name + "-" + FILE_TIME.format(Instant.now()) + (ndjson ? ".ndjson" : ".json"),
                StandardCharsets.UTF_8).build().toString());

        if ("HEAD".equals(request.getMethod())) {
            return;
        }
        long written = 0;
        try {
            OutputStream out = response.getOutputStream();
            written = ndjson ? writeNdjson(out, name, filter, page, mode) : writeArray(out, name, filter, page, mode);
        } catch (IOException | RuntimeException e) {
            logger.warn("axon-dlq export of processing group [{}] stopped after {} letters", name, written, e);
            audit.record(request, "export", name, name, auditParameters, OperatorAudit.FAILURE,
                         "stopped after " + written + " letters: " + e.getClass().getName() + ": " + e.getMessage());
            throw e;
        }
        audit.record(request, "export", name, name, auditParameters, OperatorAudit.SUCCESS,
                     "exported " + written + " letters");
        response.flushBuffer();
    }

    private long writeArray(OutputStream out, String group, LetterFilter filter, Page<StoredLetter> first,
                            PayloadMode mode) throws IOException {
        long written = 0;
        try (JsonGenerator generator = ApiJson.MAPPER.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            generator.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            generator.writeStartArray();
            Page<StoredLetter> page = first;
            while (true) {
                for (ObjectNode letter : render(page, mode)) {
                    generator.writeTree(letter);
                    written++;
                }
                generator.flush();
                if (page.nextCursor() == null) {
                    break;
                }
                page = store.letters(group, filter, PAGE_SIZE, page.nextCursor());
            }
            generator.writeEndArray();
            generator.flush();
        }
        return written;
    }

    private long writeNdjson(OutputStream out, String group, LetterFilter filter, Page<StoredLetter> first,
                             PayloadMode mode) throws IOException {
        long written = 0;
        Page<StoredLetter> page = first;
        while (true) {
            for (ObjectNode letter : render(page, mode)) {
                out.write(ApiJson.MAPPER.writeValueAsBytes(letter));
                out.write('\n');
                written++;
            }
            out.flush();
            if (page.nextCursor() == null) {
                return written;
            }
            page = store.letters(group, filter, PAGE_SIZE, page.nextCursor());
        }
    }

    /** A page of letters with their attempt histories, read in one statement for the page (not one per letter). */
    private List<ObjectNode> render(Page<StoredLetter> page, PayloadMode mode) {
        Map<UUID, List<AttemptRecord>> attempts = store.attempts(page.items().stream().map(StoredLetter::id).toList());
        return page.items().stream()
                   .map(letter -> views.export(letter, attempts.getOrDefault(letter.id(), List.of()), mode))
                   .toList();
    }

    private static boolean ndjson(String format, String accept) {
        if (format != null) {
            return switch (format.toLowerCase(java.util.Locale.ROOT)) {
                case "json" -> false;
                case "ndjson" -> true;
                default -> throw DeadLetterApiException.badParameter(
                        "format", "Parameter [format] must be json or ndjson, was ["
                                + RequestParameters.shorten(format) + "]");
            };
        }
        if (accept == null || accept.isBlank()) {
            return false;
        }
        List<MediaType> accepted;
        try {
            accepted = MediaType.parseMediaTypes(accept);
        } catch (InvalidMediaTypeException e) {
            throw new DeadLetterApiException(ProblemType.BAD_REQUEST, "The Accept header cannot be parsed")
                    .with("header", HttpHeaders.ACCEPT);
        }
        double ndjsonQuality = 0;
        double jsonQuality = 0;
        for (MediaType type : accepted) {
            if (type.equalsTypeAndSubtype(NDJSON)) {
                ndjsonQuality = Math.max(ndjsonQuality, type.getQualityValue());
            } else if (type.equalsTypeAndSubtype(MediaType.APPLICATION_JSON)) {
                jsonQuality = Math.max(jsonQuality, type.getQualityValue());
            }
        }
        if (ndjsonQuality > 0 && ndjsonQuality >= jsonQuality) {
            return true;
        }
        return false;
    }
}
