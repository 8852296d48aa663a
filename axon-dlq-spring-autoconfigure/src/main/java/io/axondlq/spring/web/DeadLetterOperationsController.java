package io.axondlq.spring.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.redelivery.DeadLetterRedeliverer;
import io.axondlq.core.redelivery.RedeliveryResult;
import io.axondlq.core.redelivery.UnknownProcessingGroupException;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Set;
import java.util.UUID;

/**
 * Write endpoints: redeliver a named sequence, redeliver the oldest one, evict a letter, a sequence, or every letter of
 * a group. A sequence is named by group and key, or by one of its letters (for keys a path cannot carry). Each is
 * recorded in the audit log. Input is validated completely before anything changes. Evictions are reported to the
 * {@link DeadLetterObserver} with reason {@value DeadLetterObserver#EVICTED_BY_OPERATOR} (metrics:
 * {@code axon.dlq.evicted}); redeliveries report themselves through the redeliverer.
 */
@RestController
@RequestMapping("${axon.dlq.rest.base-path:/dead-letters}")
public class DeadLetterOperationsController implements DeadLetterRestEndpoint {

    private final DeadLetterStore store;
    private final KnownProcessingGroups groups;
    private final ObjectProvider<DeadLetterRedeliverer> redeliverer;
    private final OperatorAudit audit;
    private final DeadLetterObserver observer;

    public DeadLetterOperationsController(DeadLetterStore store, KnownProcessingGroups groups,
                                          ObjectProvider<DeadLetterRedeliverer> redeliverer, OperatorAudit audit,
                                          DeadLetterObserver observer) {
        this.store = store;
        this.groups = groups;
        this.redeliverer = redeliverer;
        this.audit = audit;
        this.observer = observer == null ? DeadLetterObserver.NOOP : observer;
    }

    /** Redelivers one sequence, oldest letter first, until it is drained or a letter fails again. */
    @PostMapping("/processing-groups/{group}/sequences/{key}/redeliver")
    public JsonNode redeliver(@PathVariable("group") String group, @PathVariable("key") String key,
                              @RequestParam MultiValueMap<String, String> params, HttpServletRequest request) {
        RequestParameters.of(params);
        String sequenceKey = RequestParameters.sequenceKey(key);
        return redeliverSequence(groups.require(group), sequenceKey, request);
    }

    /**
     * Redelivers the sequence of a letter: the way to name a sequence whose key cannot travel in a path ({@code /},
     * {@code \}, {@code %}, {@code ;}, {@code .} or {@code ..}, which Tomcat or Spring Security's firewall refuse or
     * normalize).
     */
    @PostMapping("/letters/{id}/redeliver-sequence")
    public JsonNode redeliverSequenceOf(@PathVariable("id") String id,
                                        @RequestParam MultiValueMap<String, String> params,
                                        HttpServletRequest request) {
        RequestParameters.of(params);
        StoredLetter letter = letter(id);
        return redeliverSequence(letter.processingGroup(), letter.sequenceKey(), request);
    }

    private JsonNode redeliverSequence(String name, String sequenceKey, HttpServletRequest request) {
        DeadLetterRedeliverer redelivery = redelivery();
        requireSequence(name, sequenceKey);
        ObjectNode parameters = ApiJson.object().put("processingGroup", name).put("sequenceKey", sequenceKey);
        RedeliveryResult result;
        try {
            result = redelivery.redeliver(name, sequenceKey);
        } catch (SequenceClaimedException e) {
            audit.record(request, "redeliver-sequence", name, sequenceKey, parameters, OperatorAudit.REJECTED,
                         e.getMessage());
            throw e;
        } catch (UnknownProcessingGroupException e) {
            throw e;
        } catch (RuntimeException e) {
            audit.record(request, "redeliver-sequence", name, sequenceKey, parameters, OperatorAudit.FAILURE,
                         e.getClass().getName() + ": " + e.getMessage());
            throw e;
        }
        if (result.outcome() == RedeliveryResult.Outcome.NOT_FOUND) {
            // Evicted or drained by someone else between our check and the claim.
            throw unknownSequence(name, sequenceKey);
        }
        audit.record(request, "redeliver-sequence", name, sequenceKey, parameters, outcome(result), describe(result));
        return result(result);
    }

    /** "Retry one": redelivers the sequence that waited longest, skipping sequences leased by someone else. */
    @PostMapping("/processing-groups/{group}/redeliver-oldest")
    public JsonNode redeliverOldest(@PathVariable("group") String group,
                                    @RequestParam MultiValueMap<String, String> params, HttpServletRequest request) {
        RequestParameters.of(params);
        String name = groups.require(group);
        DeadLetterRedeliverer redelivery = redelivery();
        ObjectNode parameters = ApiJson.object().put("processingGroup", name);
        RedeliveryResult result;
        try {
            result = redelivery.redeliverOldest(name);
        } catch (UnknownProcessingGroupException e) {
            throw e;
        } catch (RuntimeException e) {
            audit.record(request, "redeliver-oldest", name, null, parameters, OperatorAudit.FAILURE,
                         e.getClass().getName() + ": " + e.getMessage());
            throw e;
        }
        audit.record(request, "redeliver-oldest", name, result.sequenceKey(), parameters, outcome(result),
                     describe(result));
        return result(result);
    }

    @DeleteMapping("/letters/{id}")
    public JsonNode evictLetter(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params,
                                HttpServletRequest request) {
        RequestParameters.of(params);
        StoredLetter letter = letter(id);
        UUID letterId = letter.id();
        int removed = store.evictLetter(letterId);
        if (removed == 0) {
            throw DeadLetterQueryController.unknownLetter(letterId);
        }
        evicted(letter.processingGroup(), removed);
        ObjectNode parameters = ApiJson.object().put("letterId", letterId.toString());
        audit.record(request, "evict-letter", letter.processingGroup(), letterId.toString(), parameters,
                     OperatorAudit.SUCCESS, "removed " + removed + " letter of sequence [" + letter.sequenceKey() + "]");
        ObjectNode body = ApiJson.object();
        body.put("removed", removed);
        body.put("letterId", letterId.toString());
        body.put("processingGroup", letter.processingGroup());
        body.put("sequenceKey", letter.sequenceKey());
        return body;
    }

    @DeleteMapping("/processing-groups/{group}/sequences/{key}")
    public JsonNode evictSequence(@PathVariable("group") String group, @PathVariable("key") String key,
                                  @RequestParam MultiValueMap<String, String> params, HttpServletRequest request) {
        RequestParameters.of(params);
        String sequenceKey = RequestParameters.sequenceKey(key);
        return evictSequence(groups.require(group), sequenceKey, request);
    }

    /** Evicts the sequence of a letter (for keys that cannot travel in a path, as for redelivery). */
    @DeleteMapping("/letters/{id}/sequence")
    public JsonNode evictSequenceOf(@PathVariable("id") String id, @RequestParam MultiValueMap<String, String> params,
                                    HttpServletRequest request) {
        RequestParameters.of(params);
        StoredLetter letter = letter(id);
        return evictSequence(letter.processingGroup(), letter.sequenceKey(), request);
    }

    private JsonNode evictSequence(String name, String sequenceKey, HttpServletRequest request) {
        requireSequence(name, sequenceKey);
        int removed = store.evictSequence(name, sequenceKey);
        evicted(name, removed);
        ObjectNode parameters = ApiJson.object().put("processingGroup", name).put("sequenceKey", sequenceKey);
        audit.record(request, "evict-sequence", name, sequenceKey, parameters, OperatorAudit.SUCCESS,
                     "removed " + removed + " letters");
        return ApiJson.tree(new SequenceEvictionResponse(removed, name, sequenceKey));
    }

    /** Erases every letter of the group; {@code confirm} must repeat the group name. */
    @DeleteMapping("/processing-groups/{group}/letters")
    public JsonNode eraseGroup(@PathVariable("group") String group, @RequestParam MultiValueMap<String, String> params,
                               HttpServletRequest request) {
        RequestParameters parameters = RequestParameters.of(params, Set.of("confirm"));
        String confirm = parameters.text("confirm", RequestParameters.MAX_NAME_LENGTH);
        String name = groups.require(group);
        if (confirm == null) {
            throw new DeadLetterApiException(ProblemType.CONFIRMATION_REQUIRED,
                                             "Erasing every letter of a group needs ?confirm=<group name>")
                    .with("parameter", "confirm");
        }
        if (!confirm.equals(name)) {
            throw new DeadLetterApiException(ProblemType.CONFIRMATION_REQUIRED,
                                             "Parameter [confirm] must equal the processing group name exactly; "
                                                     + "nothing was erased")
                    .with("parameter", "confirm");
        }
        int removed = store.evictGroup(name);
        evicted(name, removed);
        audit.record(request, "erase-group", name, name, ApiJson.object().put("processingGroup", name)
                                                                  .put("confirm", confirm),
                     OperatorAudit.SUCCESS, "removed " + removed + " letters");
        ObjectNode body = ApiJson.object();
        body.put("removed", removed);
        body.put("processingGroup", name);
        return body;
    }

    private void evicted(String group, int removed) {
        if (removed > 0) {
            observer.evicted(group, removed, DeadLetterObserver.EVICTED_BY_OPERATOR);
        }
    }

    private DeadLetterRedeliverer redelivery() {
        DeadLetterRedeliverer result = redeliverer.getIfAvailable();
        if (result == null) {
            throw new DeadLetterApiException(ProblemType.REDELIVERY_UNAVAILABLE,
                                             "Redelivery needs axon-dlq's event processing module, which is not "
                                                     + "configured in this application");
        }
        return result;
    }

    private void requireSequence(String group, String key) {
        if (store.sequence(group, key).isEmpty()) {
            throw unknownSequence(group, key);
        }
    }

    private static DeadLetterApiException unknownSequence(String group, String key) {
        return new DeadLetterApiException(ProblemType.UNKNOWN_SEQUENCE,
                                          "Processing group [" + group + "] has no dead-lettered sequence ["
                                                  + RequestParameters.shorten(key) + "]")
                .with("processingGroup", group)
                .with("sequenceKey", key);
    }

    private static String outcome(RedeliveryResult result) {
        return switch (result.outcome()) {
            case DRAINED, NOT_FOUND -> OperatorAudit.SUCCESS;
            case FAILED, UNREADABLE, LEASE_LOST -> OperatorAudit.FAILURE;
        };
    }

    private static String describe(RedeliveryResult result) {
        StringBuilder detail = new StringBuilder(result.outcome().name())
                .append(": redelivered ").append(result.redelivered())
                .append(", remaining ").append(result.remaining());
        if (result.failureType() != null) {
            detail.append("; ").append(result.failureType()).append(": ").append(result.failureMessage());
        }
        return detail.append(result.droppedByUpcasterDetail()).toString();
    }

    static JsonNode result(RedeliveryResult result) {
        return ApiJson.tree(RedeliveryResponse.of(result));
    }

    private StoredLetter letter(String id) {
        UUID letterId = RequestParameters.uuid("id", id);
        return store.letter(letterId).orElseThrow(() -> DeadLetterQueryController.unknownLetter(letterId));
    }
}
