package io.axondlq.spring.web;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.operations.Export;
import io.axondlq.core.store.LetterFilter;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.spring.properties.PayloadMode;
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
 * Memory stays constant: {@link DeadLetterOperations#export} reads letters with keyset paging and they are written
 * straight to the response. The response is written on the request thread rather than as an asynchronous
 * {@code StreamingResponseBody}, so that a long export is not cut off by the container's async request timeout.
 * Everything that can be refused (filters, group, cursor) is checked before the first byte is written. The export is
 * audited by the operations service: on record before the first letter leaves, then with the number written.
 * <p>
 * A failure once letters have left (the store fails on a later page, say) cannot be a problem document any more: the
 * status line and part of the body are sent. It is rethrown, and {@link DeadLetterProblemAdvice} leaves it to the
 * servlet container, which closes the connection without completing the response: the client sees the transfer fail
 * (an unterminated chunked body) rather than a shorter export that looks complete.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class DeadLetterExportController implements DeadLetterRestEndpoint {

    public static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");
    private static final Logger logger = LoggerFactory.getLogger(DeadLetterExportController.class);
    private static final DateTimeFormatter FILE_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final DeadLetterOperations operations;
    private final KnownProcessingGroups groups;
    private final LetterViews views;
    private final OperatorActor actor;
    private final AxonDlqProperties properties;
    private final ExportSlots slots;

    public DeadLetterExportController(DeadLetterOperations operations, KnownProcessingGroups groups,
                                      LetterViews views, OperatorActor actor, AxonDlqProperties properties,
                                      ExportSlots slots) {
        this.slots = slots;
        this.operations = operations;
        this.groups = groups;
        this.views = views;
        this.actor = actor;
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
        Export export = operations.export(actor.current(request), name, filter,
                                          "format", ndjson ? "ndjson" : "json", "payloadMode", mode.name());

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
        OutputStream out = response.getOutputStream();
        try {
            export.writeTo(ndjson ? new ExportSinks.Ndjson(out, views, mode)
                                  : new ExportSinks.JsonArray(out, views, mode));
        } catch (IOException | RuntimeException e) {
            // How many letters left is in the export's audit entry. Rethrown also once the response is committed:
            // the container then cuts the response off, so that it cannot pass for a complete export.
            logger.warn("axon-dlq export of processing group [{}] stopped", name, e);
            throw e;
        }
        response.flushBuffer();
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
