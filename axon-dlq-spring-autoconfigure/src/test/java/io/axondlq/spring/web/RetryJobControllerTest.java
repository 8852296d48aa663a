package io.axondlq.spring.web;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.core.audit.AuditEntry;
import io.axondlq.core.audit.AuditFilter;
import io.axondlq.core.audit.AuditLog;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobRequest;
import io.axondlq.core.jobs.RetryJobs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;

/**
 * The retry-job endpoints against an in-memory {@link RetryJobs}: request reading, defaults, status codes for created,
 * replayed, conflicting and concurrent jobs, and the audit trail. Per the {@link RetryJobs} contract the job store
 * audits creation (accepted or rejected) and stop requests itself, with the actor the controller hands it; the fake
 * does so as {@code JdbcRetryJobs} does, so every action must appear exactly once (the controller adds nothing). The
 * real jobs are tested with their implementation.
 */
class RetryJobControllerTest {

    /** As the auto-configuration registers them: the API's own converter ahead of the application's. */
    private static final HttpMessageConverter<?>[] API_CONVERTERS = {
            new ApiMessageConverter(), new MappingJackson2HttpMessageConverter()};

    private final List<String> audit = new CopyOnWriteArrayList<>();
    private final AuditLog auditLog = new AuditLog() {
        @Override
        public AuditEntry record(String actor, String action, String group, String target, String parameters,
                                 String outcome, String detail) {
            audit.add(actor + " " + action + " " + group + " " + outcome);
            return new AuditEntry(UUID.randomUUID(), Instant.now(), actor, action, group, target, parameters,
                                  outcome, detail);
        }

        @Override
        public Page<AuditEntry> list(AuditFilter filter, int limit, String cursor) {
            return new Page<>(List.of(), null);
        }
    };
    private final FakeRetryJobs jobs = new FakeRetryJobs(auditLog);
    private RetryJobController controller;
    private KnownProcessingGroups groups;
    private MockMvc mvc;
    private MockMvc withoutJobs;

    @BeforeEach
    void setUp() {
        DeadLetterStore store = mock(DeadLetterStore.class);
        when(store.statistics()).thenReturn(List.of(new GroupStatistics("ledger", 3, 2, Instant.now()),
                                                    new GroupStatistics("billing", 1, 1, Instant.now())));
        // KnownProcessingGroups probes for one letter of a group instead of reading the statistics
        when(store.letters(anyString(), any(), anyInt(), any())).thenReturn(new Page<>(List.of(), null));
        for (String group : List.of("ledger", "billing")) {
            when(store.letters(eq(group), any(), anyInt(), any()))
                    .thenReturn(new Page<>(List.of(mock(StoredLetter.class)), null));
        }
        DefaultListableBeanFactory none = new DefaultListableBeanFactory();
        groups = new KnownProcessingGroups(store, none.getBeanProvider(
                io.axondlq.core.config.DeadLetteringEventProcessingModule.class));
        OperatorAudit operatorAudit = new OperatorAudit(new OperatorActor());
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        beans.registerSingleton("jobs", jobs);
        AxonDlqProperties properties = new AxonDlqProperties();
        controller = new RetryJobController(beans.getBeanProvider(RetryJobs.class), groups, operatorAudit, properties);
        mvc = MockMvcBuilders.standaloneSetup(controller)
                             .setMessageConverters(API_CONVERTERS)
                             .setControllerAdvice(new DeadLetterProblemAdvice())
                             .build();
        withoutJobs = MockMvcBuilders.standaloneSetup(new RetryJobController(none.getBeanProvider(RetryJobs.class),
                                                                             groups, operatorAudit, properties))
                                     .setMessageConverters(API_CONVERTERS)
                                     .setControllerAdvice(new DeadLetterProblemAdvice())
                                     .build();
    }

    @Test
    void createAnswers202WithTheJobAndItsLocation() throws Exception {
        MvcResult result = create("{\"processingGroup\": \"ledger\", \"filter\": {\"causeType\": \"x.Boom\", "
                                          + "\"from\": \"2024-01-01T00:00:00Z\"}, \"batchSize\": 5, "
                                          + "\"cooldown\": \"500ms\", \"maxSequences\": 20}", "key-1");

        assertThat(result.getResponse().getStatus()).isEqualTo(202);
        JsonNode job = json(result);
        assertThat(result.getResponse().getHeader("Location")).endsWith("/dead-letters/retry-jobs/"
                                                                                + job.path("id").asText());
        assertThat(job.path("state").asText()).isEqualTo("RUNNING");
        assertThat(job.path("request").path("batchSize").asInt()).isEqualTo(5);
        assertThat(job.path("request").path("cooldown").asText()).isEqualTo("PT0.5S");
        RetryJobRequest request = jobs.lastRequest;
        assertThat(request.causeType()).isEqualTo("x.Boom");
        assertThat(request.from()).isEqualTo(Instant.parse("2024-01-01T00:00:00Z"));
        assertThat(request.to()).isNull();
        assertThat(request.maxSequences()).isEqualTo(20);
        assertThat(jobs.lastActor).isEqualTo("anonymous");
        assertThat(audit).containsExactly("anonymous create-retry-job ledger success");
    }

    @Test
    void defaultsApplyToOmittedMembers() throws Exception {
        assertThat(create("{\"processingGroup\": \"ledger\"}", null).getResponse().getStatus()).isEqualTo(202);

        assertThat(jobs.lastRequest.batchSize()).isEqualTo(RetryJobController.DEFAULT_BATCH_SIZE);
        assertThat(jobs.lastRequest.cooldown()).isEqualTo(RetryJobController.DEFAULT_COOLDOWN);
        assertThat(jobs.lastRequest.maxSequences()).isEqualTo(RetryJobController.DEFAULT_MAX_SEQUENCES);
        assertThat(jobs.lastKey).isNull();
    }

    @Test
    void sameKeyAndBodyReturnTheSameJobDifferentBodyIs422() throws Exception {
        String body = "{\"processingGroup\": \"ledger\", \"batchSize\": 2}";
        JsonNode first = json(create(body, "same"));

        MvcResult replay = create(body, "same");
        assertThat(replay.getResponse().getStatus()).isEqualTo(200);
        assertThat(json(replay).path("id").asText()).isEqualTo(first.path("id").asText());

        MvcResult conflict = create("{\"processingGroup\": \"ledger\", \"batchSize\": 3}", "same");
        assertThat(conflict.getResponse().getStatus()).isEqualTo(422);
        assertThat(conflict.getResponse().getContentType()).startsWith("application/problem+json");
        assertThat(json(conflict).path("type").asText()).isEqualTo("urn:axon-dlq:problem:idempotency-key-reused");
        // created once, the replay is no new action, the conflict is rejected: one entry each, none from the controller
        assertThat(audit).containsExactly("anonymous create-retry-job ledger success",
                                          "anonymous create-retry-job ledger rejected");
    }

    @Test
    void oneRunningJobPerGroup() throws Exception {
        JsonNode running = json(create("{\"processingGroup\": \"ledger\"}", null));

        MvcResult second = create("{\"processingGroup\": \"ledger\", \"batchSize\": 7}", null);

        assertThat(second.getResponse().getStatus()).isEqualTo(409);
        JsonNode problem = json(second);
        assertThat(problem.path("type").asText()).isEqualTo("urn:axon-dlq:problem:retry-job-running");
        assertThat(problem.path("runningJob").asText()).isEqualTo(running.path("id").asText());
        assertThat(audit).containsExactly("anonymous create-retry-job ledger success",
                                          "anonymous create-retry-job ledger rejected");
        // another group is independent
        assertThat(create("{\"processingGroup\": \"billing\"}", null).getResponse().getStatus()).isEqualTo(202);
    }

    @Test
    void listGetAndStop() throws Exception {
        String id = json(create("{\"processingGroup\": \"ledger\"}", null)).path("id").asText();
        json(create("{\"processingGroup\": \"billing\"}", null));

        JsonNode page = json(mvc.perform(get("/dead-letters/retry-jobs?limit=1")).andReturn());
        assertThat(page.path("items")).hasSize(1);
        assertThat(page.path("nextCursor").asText()).isNotBlank();
        JsonNode job = json(mvc.perform(get("/dead-letters/retry-jobs/" + id)).andReturn());
        assertThat(job.path("sequences")).hasSize(1);
        assertThat(job.path("remaining").asInt()).isEqualTo(1);

        MvcResult stopped = mvc.perform(post("/dead-letters/retry-jobs/" + id + "/stop")).andReturn();
        assertThat(stopped.getResponse().getStatus()).isEqualTo(200);
        assertThat(json(stopped).path("state").asText()).isEqualTo("STOPPED");
        assertThat(jobs.lastStopActor).isEqualTo("anonymous");
        assertThat(audit).containsExactly("anonymous create-retry-job ledger success",
                                          "anonymous create-retry-job billing success",
                                          "anonymous stop-retry-job ledger success");
        assertThat(mvc.perform(get("/dead-letters/retry-jobs/" + UUID.randomUUID())).andReturn().getResponse()
                      .getStatus()).isEqualTo(404);
        assertThat(mvc.perform(post("/dead-letters/retry-jobs/" + UUID.randomUUID() + "/stop")).andReturn()
                      .getResponse().getStatus()).isEqualTo(404);
    }

    @Test
    void theAuthenticatedNameIsHandedToTheJobsForCreateAndStop() throws Exception {
        MvcResult created = mvc.perform(post("/dead-letters/retry-jobs").principal(() -> "alice")
                                                                         .contentType(MediaType.APPLICATION_JSON)
                                                                         .content("{\"processingGroup\": \"ledger\"}"))
                               .andReturn();
        assertThat(created.getResponse().getStatus()).isEqualTo(202);
        assertThat(jobs.lastActor).isEqualTo("alice");
        assertThat(json(created).path("createdBy").asText()).isEqualTo("alice");

        String id = json(created).path("id").asText();
        assertThat(mvc.perform(post("/dead-letters/retry-jobs/" + id + "/stop").principal(() -> "bob")).andReturn()
                      .getResponse().getStatus()).isEqualTo(200);
        assertThat(jobs.lastStopActor).isEqualTo("bob");
        assertThat(audit).containsExactly("alice create-retry-job ledger success", "bob stop-retry-job ledger success");
    }

    @Test
    void invalidRequestsNeverReachTheJobs() throws Exception {
        for (String body : List.of("{", "null", "{\"processingGroup\": null}", "{\"processingGroup\": [\"ledger\"]}",
                                   "{\"processingGroup\": \"ledger\", \"batchSize\": 1001}",
                                   "{\"processingGroup\": \"ledger\", \"cooldown\": \"PT2H\"}",
                                   "{\"processingGroup\": \"ledger\", \"maxSequences\": 0}",
                                   "{\"processingGroup\": \"ledger\", \"filter\": {\"causeType\": 1}}")) {
            MvcResult result = create(body, null);
            assertThat(result.getResponse().getStatus()).as(body).isEqualTo(400);
            assertThat(result.getResponse().getContentType()).as(body).startsWith("application/problem+json");
        }
        assertThat(create("{\"processingGroup\": \"unknown\"}", null).getResponse().getStatus()).isEqualTo(404);
        assertThat(jobs.created).isEmpty();
        assertThat(audit).isEmpty();
    }

    /** Binding (Jackson) and Bean Validation refusals alike name the member at fault, as problem+json. */
    @Test
    void aRefusedBodyNamesTheMember() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"processingGroup\": \"\"}", "processingGroup");
        cases.put("{\"processingGroup\": 5}", "processingGroup");
        cases.put("{\"processingGroup\": \"ledger\", \"batchSize\": 0}", "batchSize");
        cases.put("{\"processingGroup\": \"ledger\", \"batchSize\": \"ten\"}", "batchSize");
        cases.put("{\"processingGroup\": \"ledger\", \"batchSize\": 2.5}", "batchSize");
        cases.put("{\"processingGroup\": \"ledger\", \"maxSequences\": 1000001}", "maxSequences");
        cases.put("{\"processingGroup\": \"ledger\", \"bogus\": 1}", "bogus");
        cases.put("{\"processingGroup\": \"ledger\", \"filter\": {\"sequence\": \"x\"}}", "filter.sequence");
        cases.put("{\"processingGroup\": \"ledger\", \"filter\": {\"causeType\": \"" + "c".repeat(600) + "\"}}",
                  "filter.causeType");
        cases.put("{\"processingGroup\": \"ledger\", \"filter\": {\"payloadType\": \"a\\u0000b\"}}",
                  "filter.payloadType");
        cases.put("{\"processingGroup\": \"ledger\", \"filter\": {\"from\": \"yesterday\"}}", "filter.from");
        cases.put("{\"processingGroup\": \"ledger\", \"cooldown\": \"soon\"}", "cooldown");
        // Stored in whole milliseconds: 0.5 ms would run as no cooldown while the job showed PT0.0005S.
        cases.put("{\"processingGroup\": \"ledger\", \"cooldown\": \"PT0.0005S\"}", "cooldown");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            MvcResult result = create(c.getKey(), null);
            assertThat(result.getResponse().getStatus()).as(c.getKey()).isEqualTo(400);
            assertThat(result.getResponse().getContentType()).as(c.getKey()).startsWith("application/problem+json");
            JsonNode problem = json(result);
            assertThat(problem.path("type").asText()).as(c.getKey())
                                                     .isEqualTo("urn:axon-dlq:problem:invalid-request-body");
            assertThat(problem.path("member").asText()).as(c.getKey()).isEqualTo(c.getValue());
            assertThat(problem.path("detail").asText()).as(c.getKey()).contains(c.getValue())
                                                       .doesNotContain("io.axondlq").doesNotContain("java.");
        }
        MvcResult tooLarge = create("{\"processingGroup\": \"" + "g".repeat(20_000) + "\"}", null);
        assertThat(tooLarge.getResponse().getStatus()).isEqualTo(413);
        assertThat(json(tooLarge).path("type").asText()).isEqualTo("urn:axon-dlq:problem:payload-too-large");
        assertThat(jobs.created).isEmpty();
        assertThat(audit).isEmpty();
    }

    /**
     * The API reads and writes its records with its own mapper: a host whose Jackson names properties in snake case,
     * leaves nulls out and ignores unknown properties changes neither the answers nor what is refused.
     */
    @Test
    void theHostsJacksonSettingsChangeNothing() throws Exception {
        ObjectMapper host = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                                              .setSerializationInclusion(JsonInclude.Include.NON_NULL)
                                              .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        MockMvc hosted = MockMvcBuilders.standaloneSetup(controller)
                                        .setMessageConverters(new ApiMessageConverter(),
                                                              new MappingJackson2HttpMessageConverter(host))
                                        .setControllerAdvice(new DeadLetterProblemAdvice())
                                        .build();
        MvcResult created = hosted.perform(post("/dead-letters/retry-jobs").contentType(MediaType.APPLICATION_JSON)
                                                   .content("{\"processingGroup\": \"ledger\"}")).andReturn();
        assertThat(created.getResponse().getStatus()).isEqualTo(202);
        JsonNode job = json(created);
        assertThat(job.path("processingGroup").asText()).isEqualTo("ledger");
        assertThat(job.has("stopRequested")).isTrue();
        assertThat(job.has("nextCursor")).as("null members are written").isTrue();
        assertThat(job.path("createdAt").isTextual()).as("instants as ISO-8601 text").isTrue();
        MvcResult unknown = hosted.perform(post("/dead-letters/retry-jobs").contentType(MediaType.APPLICATION_JSON)
                                                   .content("{\"processingGroup\": \"ledger\", \"x\": 1}"))
                                  .andReturn();
        assertThat(unknown.getResponse().getStatus()).isEqualTo(400);
        assertThat(json(unknown).path("member").asText()).isEqualTo("x");
    }

    /** Create and stop show the first page of outcomes; it honours a max-page-size below the default page of 50. */
    @Test
    void createAndStopShowAtMostMaxPageSizeOutcomes() throws Exception {
        jobs.sequencesPerJob = 5;
        AxonDlqProperties small = new AxonDlqProperties();
        small.getRest().setMaxPageSize(2);
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        beans.registerSingleton("jobs", jobs);
        MockMvc limited = MockMvcBuilders.standaloneSetup(new RetryJobController(
                                                 beans.getBeanProvider(RetryJobs.class), groups,
                                                 new OperatorAudit(new OperatorActor()), small))
                                         .setMessageConverters(API_CONVERTERS)
                                         .setControllerAdvice(new DeadLetterProblemAdvice())
                                         .build();

        MvcResult created = limited.perform(post("/dead-letters/retry-jobs")
                                                    .contentType(MediaType.APPLICATION_JSON)
                                                    .content("{\"processingGroup\": \"ledger\"}"))
                                   .andReturn();
        assertThat(created.getResponse().getStatus()).isEqualTo(202);
        assertThat(json(created).path("sequences")).hasSize(2);
        String id = json(created).path("id").asText();
        MvcResult stopped = limited.perform(post("/dead-letters/retry-jobs/" + id + "/stop")).andReturn();
        assertThat(stopped.getResponse().getStatus()).isEqualTo(200);
        assertThat(json(stopped).path("sequences")).hasSize(2);
        // the default page where the maximum is larger: all five
        assertThat(json(mvc.perform(get("/dead-letters/retry-jobs/" + id)).andReturn()).path("sequences")).hasSize(5);
    }

    @Test
    void withoutRetryJobsTheEndpointsAnswer503() throws Exception {
        MvcResult result = withoutJobs.perform(post("/dead-letters/retry-jobs")
                                                       .contentType(MediaType.APPLICATION_JSON)
                                                       .content("{\"processingGroup\": \"ledger\"}")).andReturn();
        assertThat(result.getResponse().getStatus()).isEqualTo(503);
        assertThat(json(result).path("type").asText()).isEqualTo("urn:axon-dlq:problem:retry-jobs-unavailable");
        assertThat(withoutJobs.perform(get("/dead-letters/retry-jobs")).andReturn().getResponse().getStatus())
                .isEqualTo(503);
        // bad input is still reported as such
        assertThat(withoutJobs.perform(post("/dead-letters/retry-jobs").contentType(MediaType.APPLICATION_JSON)
                                                                       .content("{")).andReturn().getResponse()
                              .getStatus()).isEqualTo(400);
    }

    private MvcResult create(String body, String key) throws Exception {
        var request = post("/dead-letters/retry-jobs").contentType(MediaType.APPLICATION_JSON).content(body);
        if (key != null) {
            request.header(RetryJobController.IDEMPOTENCY_KEY, key);
        }
        return mvc.perform(request).andReturn();
    }

    private static JsonNode json(MvcResult result) throws Exception {
        return Http.JSON.readTree(result.getResponse().getContentAsString());
    }

    /**
     * Idempotency and one running job per group, in memory; audits like {@code JdbcRetryJobs}: a created job and a
     * rejected request (key reused, job running) as {@code create-retry-job}, a stop as {@code stop-retry-job}, each
     * with the actor it was given; a replay by idempotency key is no new action.
     */
    static class FakeRetryJobs implements RetryJobs {

        final Map<UUID, RetryJob> created = new LinkedHashMap<>();
        final Map<String, UUID> keys = new LinkedHashMap<>();
        final AuditLog audit;
        RetryJobRequest lastRequest;
        String lastKey;
        String lastActor;
        String lastStopActor;
        /** The per-sequence outcomes each created job has. */
        int sequencesPerJob = 1;

        FakeRetryJobs(AuditLog audit) {
            this.audit = audit;
        }

        @Override
        public synchronized Created create(RetryJobRequest request, String idempotencyKey, String actor) {
            lastRequest = request;
            lastKey = idempotencyKey;
            lastActor = actor;
            if (idempotencyKey != null && keys.containsKey(idempotencyKey)) {
                RetryJob existing = created.get(keys.get(idempotencyKey));
                if (!existing.request().equals(request)) {
                    throw rejected(request, actor, new IdempotencyConflictException(idempotencyKey));
                }
                return new Created(existing, false);
            }
            Optional<RetryJob> running = activeJob(request.processingGroup());
            if (running.isPresent()) {
                throw rejected(request, actor,
                               new JobAlreadyRunningException(request.processingGroup(), running.get().id()));
            }
            Instant now = Instant.now();
            RetryJob job = new RetryJob(UUID.randomUUID(), request.processingGroup(), request, RetryJob.State.RUNNING,
                                        false, 1, 0, 0, 0, now, now, actor, null, null,
                                        java.util.stream.IntStream.range(0, sequencesPerJob)
                                                .mapToObj(i -> new RetryJob.SequenceOutcome(
                                                        i == 0 ? "k" : "k" + i, "PENDING", 0, 1, null, null))
                                                .toList());
            created.put(job.id(), job);
            if (idempotencyKey != null) {
                keys.put(idempotencyKey, job.id());
            }
            audit.record(actor, "create-retry-job", job.processingGroup(), job.id().toString(), null, "success",
                         job.total() + " sequences in the snapshot");
            return new Created(job, true);
        }

        private RuntimeException rejected(RetryJobRequest request, String actor, RuntimeException reason) {
            audit.record(actor, "create-retry-job", request.processingGroup(), null, null, "rejected",
                         reason.getMessage());
            return reason;
        }

        @Override
        public synchronized Optional<RetryJob> find(UUID id) {
            return Optional.ofNullable(created.get(id));
        }

        @Override
        public synchronized Page<RetryJob> list(int limit, String cursor) {
            List<RetryJob> all = new ArrayList<>(created.values());
            return new Page<>(all.subList(0, Math.min(limit, all.size())), all.size() > limit ? "next" : null);
        }

        @Override
        public synchronized Optional<RetryJob> stop(UUID id, String actor) {
            lastStopActor = actor;
            RetryJob job = created.get(id);
            if (job == null) {
                return Optional.empty();
            }
            if (job.state() != RetryJob.State.RUNNING || job.stopRequested()) {
                return Optional.of(job); // finished or already asked: no new action, as JdbcRetryJobs
            }
            RetryJob stopped = new RetryJob(job.id(), job.processingGroup(), job.request(), RetryJob.State.STOPPED,
                                            true, job.total(), 0, 0, 0, job.createdAt(), Instant.now(),
                                            job.createdBy(), null, null, job.sequences());
            created.put(id, stopped);
            audit.record(actor, "stop-retry-job", job.processingGroup(), id.toString(), null, "success", "stopped");
            return Optional.of(stopped);
        }

        @Override
        public synchronized Optional<RetryJob> activeJob(String processingGroup) {
            return created.values().stream()
                          .filter(j -> j.processingGroup().equals(processingGroup)
                                  && j.state() == RetryJob.State.RUNNING)
                          .findFirst();
        }
    }
}
