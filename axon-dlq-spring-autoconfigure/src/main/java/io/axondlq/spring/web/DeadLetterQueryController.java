package io.axondlq.spring.web;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.GroupStatistics;
import io.axondlq.spring.AxonDlqProperties;
import io.axondlq.core.jobs.RetryJob;
import io.axondlq.core.jobs.RetryJobs;
import io.axondlq.spring.properties.PayloadMode;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Read endpoints: processing groups, letters, sequences, failure groups, one letter in full.
 * <p>
 * Sequence keys are the store's encoded keys (see {@code io.axondlq.jdbc.SequenceKeys}): a String sequence
 * identifier is its own key, other types look like {@code ~long:42} or {@code ~uuid:...}. They travel as one
 * percent-encoded path segment or query value.
 */
@RestController
// JSON only: a client that accepts no application/json (another +json flavour included) is refused with 406 by
// DeadLetterFallbackController, instead of getting the records from the host's converters or labelled as a problem.
@RequestMapping(value = "${axon.dlq.rest.base-path:/dead-letters}", produces = MediaType.APPLICATION_JSON_VALUE)
public class DeadLetterQueryController implements DeadLetterRestEndpoint {

    private final DeadLetterStore store;
    private final KnownProcessingGroups groups;
    private final LetterViews views;
    private final ObjectProvider<RetryJobs> retryJobs;
    private final AxonDlqProperties properties;
    private final DeadLetterOperations operations;
    private final OperatorActor actor;

    public DeadLetterQueryController(DeadLetterStore store, KnownProcessingGroups groups, LetterViews views,
                                     ObjectProvider<RetryJobs> retryJobs, AxonDlqProperties properties,
                                     DeadLetterOperations operations, OperatorActor actor) {
        this.store = store;
        this.operations = operations;
        this.actor = actor;
        this.groups = groups;
        this.views = views;
        this.retryJobs = retryJobs;
        this.properties = properties;
    }

    /** Per group: letters, sequences, oldest enqueued-at, whether it runs here, its active retry job. */
    @GetMapping("/processing-groups")
    public ItemsResponse<ProcessingGroupView> processingGroups(@RequestParam MultiValueMap<String, String> params) {
        RequestParameters.of(params);
        Set<String> running = groups.running();
        RetryJobs jobs = retryJobs.getIfAvailable();
        List<ProcessingGroupView> items = new ArrayList<>();
        for (Map.Entry<String, Optional<GroupStatistics>> group : groups.all().entrySet()) {
            Optional<GroupStatistics> statistics = group.getValue();
            Optional<RetryJob> active = jobs == null ? Optional.empty() : jobs.activeJob(group.getKey());
            items.add(new ProcessingGroupView(group.getKey(), statistics.map(GroupStatistics::letters).orElse(0L),
                                              statistics.map(GroupStatistics::sequences).orElse(0L),
                                              statistics.map(GroupStatistics::oldestEnqueuedAt).orElse(null),
                                              running.contains(group.getKey()),
                                              active.map(RetryJobView::of).orElse(null)));
        }
        return new ItemsResponse<>(items);
    }

    @GetMapping("/processing-groups/{group}/letters")
    public PageResponse<LetterSummary> letters(@PathVariable("group") String group,
                                               @RequestParam MultiValueMap<String, String> params,
                                               HttpServletRequest servletRequest) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING, RequestParameters.FILTERS);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        var filter = request.letterFilter();
        String name = groups.require(group);
        PayloadMode mode = views.policy().readMode(servletRequest);
        return PageResponse.of(store.letters(name, filter, limit, cursor), letter -> views.summary(letter, mode));
    }

    @GetMapping("/processing-groups/{group}/sequences")
    public PageResponse<SequenceView> sequences(@PathVariable("group") String group,
                                                @RequestParam MultiValueMap<String, String> params) {
        RequestParameters request = RequestParameters.of(params, RequestParameters.PAGING);
        int limit = request.limit(properties.getRest().getMaxPageSize());
        String cursor = request.cursor();
        String name = groups.require(group);
        return PageResponse.of(store.sequences(name, limit, cursor), SequenceView::of);
    }

    @GetMapping("/processing-groups/{group}/failure-groups")
    public ItemsResponse<FailureGroupView> failureGroups(@PathVariable("group") String group,
                                                         @RequestParam MultiValueMap<String, String> params) {
        RequestParameters.of(params);
        String name = groups.require(group);
        return new ItemsResponse<>(store.failureGroups(name).stream().map(FailureGroupView::of).toList());
    }

    /** One letter in full, its payload included: the read is audited ({@code read-letter}). */
    @GetMapping("/letters/{id}")
    public LetterDetail letter(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params,
                               HttpServletRequest request) {
        RequestParameters.of(params);
        UUID letterId = RequestParameters.uuid("id", id);
        // A client that cannot take the answer never gets here (JSON only, see the class), so no read is audited as
        // shown that was not. A HEAD request gets no body, so it shows no payload.
        PayloadMode mode = views.policy().readMode(request);
        boolean showsPayload = !"HEAD".equals(request.getMethod()) && mode != PayloadMode.NONE;
        DeadLetterOperations.LetterDetail detail = operations.letterDetail(actor.current(request), letterId,
                                                                           showsPayload);
        return views.detail(detail.letter(), detail.attempts(), mode);
    }

    static DeadLetterApiException unknownLetter(UUID id) {
        return new DeadLetterApiException(ProblemType.UNKNOWN_LETTER, "Dead letter [" + id + "] does not exist")
                .with("letterId", id.toString());
    }
}
