package io.axondlq.spring.web;

import io.axondlq.core.operations.DeadLetterOperations;
import io.axondlq.core.redelivery.RedeliveryResult;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.MediaType;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Write endpoints: redeliver a named sequence, redeliver the oldest one, evict a letter, a sequence, or every letter of
 * a group. A sequence is named by group and key, or by one of its letters (for keys a path cannot carry). Input is
 * validated completely here, before anything changes; the change itself, its audit entry (same transaction) and the
 * metrics are {@link DeadLetterOperations}'.
 */
@RestController
// JSON only: a client that accepts no application/json (another +json flavour included) is refused with 406 by
// DeadLetterFallbackController, instead of getting the records from the host's converters or labelled as a problem.
@RequestMapping(value = "${axon.dlq.rest.base-path:/dead-letters}", produces = MediaType.APPLICATION_JSON_VALUE)
public class DeadLetterOperationsController implements DeadLetterRestEndpoint {

    private final DeadLetterOperations operations;
    private final KnownProcessingGroups groups;
    private final OperatorActor actor;
    private final PayloadPolicy policy;

    /** Failure messages in full for every caller. */
    public DeadLetterOperationsController(DeadLetterOperations operations, KnownProcessingGroups groups,
                                          OperatorActor actor) {
        this(operations, groups, actor, PayloadPolicy.full());
    }

    /** A redelivery's failure message follows {@code policy}, as a letter's cause message does. */
    public DeadLetterOperationsController(DeadLetterOperations operations, KnownProcessingGroups groups,
                                          OperatorActor actor, PayloadPolicy policy) {
        this.operations = operations;
        this.groups = groups;
        this.actor = actor;
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** Redelivers one sequence, oldest letter first, until it is drained or a letter fails again. */
    @PostMapping("/processing-groups/{group}/sequences/{key}/redeliver")
    public RedeliveryResponse redeliver(@PathVariable("group") String group, @PathVariable("key") String key,
                                        @RequestParam MultiValueMap<String, String> params,
                                        HttpServletRequest request) {
        RequestParameters.of(params);
        String sequenceKey = RequestParameters.sequenceKey(key);
        return result(operations.redeliverSequence(actor.current(request), groups.require(group), sequenceKey),
                      request);
    }

    /**
     * Redelivers the sequence of a letter: the way to name a sequence whose key cannot travel in a path ({@code /},
     * {@code \}, {@code %}, {@code ;}, {@code .} or {@code ..}, which Tomcat or Spring Security's firewall refuse or
     * normalize).
     */
    @PostMapping("/letters/{id}/redeliver-sequence")
    public RedeliveryResponse redeliverSequenceOf(@PathVariable("id") String id,
                                                  @RequestParam MultiValueMap<String, String> params,
                                                  HttpServletRequest request) {
        RequestParameters.of(params);
        UUID letterId = RequestParameters.uuid("id", id);
        return result(operations.redeliverSequenceOf(actor.current(request), letterId), request);
    }

    /** "Retry one": redelivers the sequence that waited longest, skipping sequences leased by someone else. */
    @PostMapping("/processing-groups/{group}/redeliver-oldest")
    public RedeliveryResponse redeliverOldest(@PathVariable("group") String group,
                                              @RequestParam MultiValueMap<String, String> params,
                                              HttpServletRequest request) {
        RequestParameters.of(params);
        return result(operations.redeliverOldest(actor.current(request), groups.require(group)), request);
    }

    @DeleteMapping("/letters/{id}")
    public LetterEvictionResponse evictLetter(@PathVariable("id") String id,
                                              @RequestParam MultiValueMap<String, String> params,
                                              HttpServletRequest request) {
        RequestParameters.of(params);
        UUID letterId = RequestParameters.uuid("id", id);
        DeadLetterOperations.LetterEviction eviction = operations.evictLetter(actor.current(request), letterId);
        return new LetterEvictionResponse(eviction.removed(), letterId, eviction.letter().processingGroup(),
                                          eviction.letter().sequenceKey());
    }

    @DeleteMapping("/processing-groups/{group}/sequences/{key}")
    public SequenceEvictionResponse evictSequence(@PathVariable("group") String group, @PathVariable("key") String key,
                                                  @RequestParam MultiValueMap<String, String> params,
                                                  HttpServletRequest request) {
        RequestParameters.of(params);
        String sequenceKey = RequestParameters.sequenceKey(key);
        return evicted(operations.evictSequence(actor.current(request), groups.require(group), sequenceKey));
    }

    /** Evicts the sequence of a letter (for keys that cannot travel in a path, as for redelivery). */
    @DeleteMapping("/letters/{id}/sequence")
    public SequenceEvictionResponse evictSequenceOf(@PathVariable("id") String id,
                                                    @RequestParam MultiValueMap<String, String> params,
                                                    HttpServletRequest request) {
        RequestParameters.of(params);
        UUID letterId = RequestParameters.uuid("id", id);
        return evicted(operations.evictSequenceOf(actor.current(request), letterId));
    }

    /** Erases every letter of the group; {@code confirm} must repeat the group name. */
    @DeleteMapping("/processing-groups/{group}/letters")
    public GroupErasureResponse eraseGroup(@PathVariable("group") String group,
                                           @RequestParam MultiValueMap<String, String> params,
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
        int removed = operations.eraseGroup(actor.current(request), name);
        return new GroupErasureResponse(removed, name);
    }

    private static SequenceEvictionResponse evicted(DeadLetterOperations.SequenceEviction eviction) {
        return new SequenceEvictionResponse(eviction.removed(), eviction.processingGroup(), eviction.sequenceKey());
    }

    private RedeliveryResponse result(RedeliveryResult result, HttpServletRequest request) {
        return RedeliveryResponse.of(result, policy.readMode(request));
    }
}
