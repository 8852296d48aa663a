package io.axondlq.spring.web;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import org.springdoc.core.customizers.OpenApiCustomizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static io.axondlq.spring.web.ProblemType.*;

/**
 * The parts of the OpenAPI document that springdoc cannot see in the controllers, added at generation time (test
 * scope, so that nothing of springdoc or swagger is needed at run time): the document's title and description, the
 * {@code Problem} schema with every {@link ProblemType} (its {@code type} URI, title and status), and on every
 * operation the problem responses it can answer with, one per status, each naming its problem types.
 * <p>
 * The problem types of an operation follow from its method and path: every endpoint authorizes
 * ({@code unauthenticated}, {@code forbidden}), checks its query parameters and can fail; path variables can be
 * malformed or unknown; redelivery can find the sequence claimed; retry jobs can be unavailable; and so on. A problem
 * type added to {@link ProblemType} appears in the catalogue at once (and so fails the drift check until the document
 * is regenerated); give it a rule below if operations answer with it.
 */
class OpenApiProblemDocumentation implements OpenApiCustomizer {

    static final String PROBLEM_SCHEMA = "Problem";
    static final String PROBLEM_JSON = "application/problem+json";

    /** OpenAPI 3.1, Parameter Object: header parameters with these names are ignored. */
    private static final Set<String> IGNORED_HEADERS = Set.of("accept", "content-type", "authorization");

    /** INVALID_PATH: PathParameterGuard refuses an unencoded ';' in any path, with or without path variables. */
    private static final Set<ProblemType> EVERY_ENDPOINT = EnumSet.of(INVALID_PARAMETER, INVALID_PATH, BAD_REQUEST,
                                                                      UNAUTHENTICATED, FORBIDDEN, NOT_ACCEPTABLE,
                                                                      INTERNAL_ERROR);

    /** Problem types by (method, relative path) beyond {@link #EVERY_ENDPOINT}. */
    static Set<ProblemType> problems(String method, String path) {
        Set<ProblemType> problems = EnumSet.copyOf(EVERY_ENDPOINT);
        boolean get = method.equals("GET");
        if (get && path.matches(".*/(letters|sequences|audit|retry-jobs|retry-jobs/\\{id})")) {
            problems.add(INVALID_CURSOR);
        }
        if (path.contains("{group}")) {
            problems.addAll(EnumSet.of(INVALID_PATH, UNKNOWN_PROCESSING_GROUP));
        }
        if (path.contains("{key}")) {
            problems.addAll(EnumSet.of(INVALID_PATH, UNKNOWN_SEQUENCE));
        }
        if (path.startsWith("/letters/{id}")) {
            problems.addAll(EnumSet.of(INVALID_PATH, UNKNOWN_LETTER));
        }
        if (path.startsWith("/retry-jobs")) {
            problems.add(RETRY_JOBS_UNAVAILABLE);
            if (path.startsWith("/retry-jobs/{id}")) {
                problems.addAll(EnumSet.of(INVALID_PATH, UNKNOWN_RETRY_JOB));
            }
        }
        if (path.contains("redeliver")) {
            problems.addAll(EnumSet.of(SEQUENCE_CLAIMED, REDELIVERY_UNAVAILABLE, PROCESSING_GROUP_NOT_RUNNING));
        }
        if (method.equals("POST") && path.equals("/retry-jobs")) {
            problems.addAll(EnumSet.of(INVALID_BODY, UNSUPPORTED_MEDIA_TYPE, PAYLOAD_TOO_LARGE, IDEMPOTENCY_CONFLICT,
                                       RETRY_JOB_RUNNING, UNKNOWN_PROCESSING_GROUP));
        }
        if (path.endsWith("/export")) {
            // ExportSlots: axon.dlq.export.max-concurrent exports already streaming.
            problems.add(EXPORT_BUSY);
        }
        if (method.equals("DELETE") && path.equals("/processing-groups/{group}/letters")) {
            problems.add(CONFIRMATION_REQUIRED);
        }
        if (!get && !method.equals("HEAD")) {
            // CrossSiteRequestGuard: a write that is neither JSON nor marked with its header; MultipartRequestGuard:
            // a multipart body (refused on reads too, which take no body).
            problems.addAll(EnumSet.of(CROSS_SITE_REQUEST, UNSUPPORTED_MEDIA_TYPE));
        }
        return problems;
    }

    @Override
    public void customise(OpenAPI openApi) {
        openApi.info(new Info().title("axon-dlq REST API").version("1").description(DESCRIPTION));
        if (openApi.getComponents() == null) {
            openApi.components(new Components());
        }
        openApi.getComponents().addSchemas(PROBLEM_SCHEMA, problemSchema());
        if (openApi.getPaths() == null) {
            return;
        }
        String basePath = basePath(openApi);
        openApi.getPaths().forEach((path, item) -> operations(item).forEach((method, operation) -> {
            cleanParameters(operation);
            addProblems(operation, problems(method, path.substring(basePath.length())));
            if (method.equals("POST") && path.substring(basePath.length()).equals("/retry-jobs")) {
                documentJobCreation(operation);
            }
        }));
        if (openApi.getComponents().getSchemas() != null) {
            openApi.getComponents().getSchemas().keySet().removeIf(name -> name.startsWith("MultiValueMap"));
        }
    }

    /**
     * {@code POST /retry-jobs} answers 202 for a new job and 200 for the job an earlier request with the same
     * Idempotency-Key created, both with {@code Location}: springdoc sees only the 200 of the method's return type
     * (the status is set on the {@code ResponseEntity} at run time).
     */
    private static void documentJobCreation(Operation operation) {
        ApiResponse ok = operation.getResponses().get("200");
        Header location = new Header().description("the job's URL").schema(schema("string").format("uri"));
        ok.description("OK: the job an earlier request with the same Idempotency-Key created")
          .addHeaderObject("Location", location);
        operation.getResponses().addApiResponse("202", new ApiResponse()
                .description("Accepted: a new job, which runs in the background")
                .content(ok.getContent()).addHeaderObject("Location", location));
    }

    /**
     * Headers that OpenAPI says to ignore as parameters go; a {@code @RequestParam MultiValueMap} (an endpoint that
     * checks its query parameters by hand) becomes what it is, free-form query parameters, instead of a required
     * parameter named after the Java argument with the map's bean properties as schema.
     */
    private static void cleanParameters(Operation operation) {
        if (operation.getParameters() == null) {
            return;
        }
        List<Parameter> parameters = new ArrayList<>();
        for (Parameter parameter : operation.getParameters()) {
            if ("header".equals(parameter.getIn()) && IGNORED_HEADERS.contains(parameter.getName().toLowerCase())) {
                continue;
            }
            if ("query".equals(parameter.getIn()) && parameter.getSchema() != null
                    && parameter.getSchema().get$ref() != null
                    && parameter.getSchema().get$ref().contains("/MultiValueMap")) {
                Schema<Object> values = schema("string");
                Schema<Object> freeForm = schema("object");
                freeForm.setAdditionalProperties(values);
                parameter = new Parameter().in("query").name(parameter.getName()).required(false)
                                           .style(Parameter.StyleEnum.FORM).explode(true).schema(freeForm)
                                           .description("The endpoint's query parameters, if any (listed in "
                                                                + "the README's REST API table); a name it does "
                                                                + "not know is refused with `invalid-parameter`");
            }
            parameters.add(parameter);
        }
        operation.setParameters(parameters.isEmpty() ? null : parameters);
    }

    private static final String DESCRIPTION = """
            Operations on the dead letters of axon-dlq: listings, letter details, redelivery, eviction, export, \
            bulk retry jobs and the audit log.

            Paths are relative to the server URL: the servlet context path followed by `axon.dlq.rest.base-path` \
            (default `/dead-letters`); `GET {base-path}/openapi.json` serves this document with that URL filled in.

            Authorization (with Spring Security; authentication is the application's): reads (GET, HEAD) need \
            `axon.dlq.security.read-authority` (default `DLQ_READ`) or the write authority, everything else needs \
            `axon.dlq.security.write-authority` (default `DLQ_ADMIN`).

            Writes (POST, PUT, PATCH, DELETE) must send `Content-Type: application/json` or the header \
            `X-Axon-DLQ-Request` (any value), so that a cross-site form or a no-cors fetch cannot trigger them \
            (415 `cross-site-request` otherwise). A 401 carries `WWW-Authenticate`; a 409 for a sequence another \
            redelivery holds carries `Retry-After`, and so does a 429 `export-busy` (more exports than \
            `axon.dlq.export.max-concurrent` streaming on the node). Sequences whose key cannot be a path segment are addressed \
            through one of their letters (`/letters/{id}/redeliver-sequence`, `/letters/{id}/sequence`).

            Every error is `application/problem+json` (RFC 9457), see the `Problem` schema for the problem types.""";

    /** The base path the generated paths start with: the common prefix of every path's first segment. */
    private static String basePath(OpenAPI openApi) {
        return openApi.getPaths().keySet().stream()
                      .filter(path -> path.endsWith("/openapi.json"))
                      .map(path -> path.substring(0, path.length() - "/openapi.json".length()))
                      .findFirst()
                      .orElseThrow(() -> new IllegalStateException("no /openapi.json in " + openApi.getPaths()
                                                                                                  .keySet()));
    }

    private static Map<String, Operation> operations(PathItem item) {
        Map<String, Operation> operations = new LinkedHashMap<>();
        item.readOperationsMap().forEach((method, operation) -> operations.put(method.name(), operation));
        return operations;
    }

    private static void addProblems(Operation operation, Set<ProblemType> problems) {
        if (operation.getResponses() == null) {
            operation.responses(new ApiResponses());
        }
        Map<Integer, List<ProblemType>> byStatus = new TreeMap<>();
        problems.forEach(p -> byStatus.computeIfAbsent(p.status().value(), s -> new ArrayList<>()).add(p));
        byStatus.forEach((status, types) -> operation.getResponses().addApiResponse(
                String.valueOf(status),
                new ApiResponse().description(types.stream().map(p -> "`" + p.type() + "` (" + p.title() + ")")
                                                   .collect(Collectors.joining(", ")))
                                 .content(new Content().addMediaType(
                                         PROBLEM_JSON, new MediaType().schema(
                                                 new Schema<>().$ref("#/components/schemas/" + PROBLEM_SCHEMA))))));
    }

    static Schema<Object> problemSchema() {
        Schema<Object> type = schema("string").description("Stable URI of the problem type; clients may switch on it")
                                              .format("uri");
        type.setEnum(Arrays.stream(ProblemType.values()).map(p -> (Object) p.type()).toList());
        Schema<Object> problem = schema("object");
        problem.description("An error (RFC 9457). Besides the standard members, some problems carry more: "
                                    + "`parameter` (the request parameter at fault), `header`, `claimedBy` and "
                                    + "`claimUntil` (sequence-claimed), `runningJob` (retry-job-running), `letterId`, "
                                    + "`maxConcurrent` (export-busy), `requiredAuthority` (forbidden), `allow` (method-not-allowed).\n\n"
                                    + "| type | title | status |\n| --- | --- | --- |\n"
                                    + Arrays.stream(ProblemType.values())
                                            .map(p -> "| `" + p.type() + "` | " + p.title() + " | "
                                                    + p.status().value() + " |")
                                            .collect(Collectors.joining("\n")));
        problem.addProperty("type", type);
        problem.addProperty("title", schema("string").description("Stable title of the problem type"));
        problem.addProperty("status", schema("integer").format("int32").description("The HTTP status"));
        problem.addProperty("detail", schema("string").description("What went wrong in this occurrence"));
        problem.addProperty("instance", schema("string").description("The request path"));
        problem.setRequired(List.of("type", "title", "status", "detail", "instance"));
        problem.setAdditionalProperties(Boolean.TRUE);
        return problem;
    }

    /** A schema of one type, for OpenAPI 3.1 ({@code types}) and 3.0 ({@code type}) serialization alike. */
    private static Schema<Object> schema(String jsonType) {
        Schema<Object> schema = new Schema<>();
        schema.setType(jsonType);
        schema.setTypes(new LinkedHashSet<>(List.of(jsonType)));
        return schema;
    }
}
