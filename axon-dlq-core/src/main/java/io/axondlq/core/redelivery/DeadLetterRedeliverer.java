package io.axondlq.core.redelivery;

import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import io.axondlq.core.config.DeadLetterGroups;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.DefaultInterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.ResultMessage;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Redelivers dead letters one sequence at a time, one letter at a time in sequence order, through the processing
 * group's own invoker and its processor's handler interceptors, in a unit of work (and transaction) per letter.
 * <p>
 * A successful letter is deleted in the same transaction as the handler's writes; if the delete finds the letter
 * already gone (a lease lost to another node that redelivered it), the transaction is rolled back, so every letter
 * takes effect exactly once. A failed letter is rolled back, kept with attempts + 1 and a history row, and the
 * sequence stops there. The sequence is held by a lease, claimed in its own short transaction and renewed after every
 * letter.
 */
public class DeadLetterRedeliverer {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetterRedeliverer.class);

    private final DeadLetterStore store;
    private final DeadLetterGroups groups;
    private final Duration lease;
    private final DeadLetterObserver observer;

    public DeadLetterRedeliverer(DeadLetterStore store, DeadLetterGroups groups, Duration lease,
                                 DeadLetterObserver observer) {
        this.store = store;
        this.groups = groups;
        this.lease = lease;
        this.observer = observer;
    }

    /**
     * @throws UnknownProcessingGroupException when the group does not run with axon-dlq on this node
     * @throws SequenceClaimedException        when another owner is redelivering the sequence
     */
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey) {
        DeadLetterGroups.Binding binding = binding(processingGroup);
        // Taken before the claim: entries the live path adds to its parked sets after this point are not ours to drop.
        long drainMark = binding.invoker().drainMark();
        Optional<SequenceClaim> claim = store.claim(processingGroup, sequenceKey, lease);
        if (claim.isEmpty()) {
            return RedeliveryResult.notFound(processingGroup, sequenceKey);
        }
        try {
            return drain(binding, claim.get(), drainMark);
        } finally {
            store.release(claim.get());
        }
    }

    /** Redelivers the sequence that waited longest since it was last touched, skipping leased ones. */
    public RedeliveryResult redeliverOldest(String processingGroup) {
        binding(processingGroup);
        String cursor = null;
        do {
            Page<StoredLetter> heads = store.claimableHeads(processingGroup, 20, cursor);
            for (StoredLetter head : heads.items()) {
                try {
                    return redeliver(processingGroup, head.sequenceKey());
                } catch (SequenceClaimedException e) {
                    // Taken by another node since we listed it: try the next one.
                }
            }
            cursor = heads.nextCursor();
        } while (cursor != null);
        return RedeliveryResult.notFound(processingGroup, null);
    }

    /**
     * Redelivers every sequence of the group that is not leased, one after the other, up to
     * {@code maxSequences}. Sequences leased by someone else are skipped.
     */
    public List<RedeliveryResult> redeliverAll(String processingGroup, int maxSequences) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("maxSequences must be >= 1, was " + maxSequences);
        }
        binding(processingGroup);
        List<String> keys = new ArrayList<>();
        String cursor = null;
        do {
            var page = store.sequences(processingGroup, Math.min(500, maxSequences), cursor);
            page.items().forEach(s -> keys.add(s.sequenceKey()));
            cursor = page.nextCursor();
        } while (cursor != null && keys.size() < maxSequences);
        List<RedeliveryResult> results = new ArrayList<>();
        for (String key : keys.subList(0, Math.min(keys.size(), maxSequences))) {
            try {
                results.add(redeliver(processingGroup, key));
            } catch (SequenceClaimedException e) {
                logger.debug("Skipping sequence [{}]: {}", key, e.getMessage());
            }
        }
        return results;
    }

    private DeadLetterGroups.Binding binding(String processingGroup) {
        return groups.binding(processingGroup)
                     .orElseThrow(() -> new UnknownProcessingGroupException(processingGroup));
    }

    private RedeliveryResult drain(DeadLetterGroups.Binding binding, SequenceClaim claim, long drainMark) {
        String group = claim.processingGroup();
        String key = claim.sequenceKey();
        int redelivered = 0;
        while (true) {
            List<StoredLetter> head = store.sequenceLetters(group, key, -1, 1);
            if (head.isEmpty()) {
                binding.invoker().sequenceDrained(key, drainMark);
                return new RedeliveryResult(group, key, RedeliveryResult.Outcome.DRAINED, redelivered, 0, null,
                                            null, null);
            }
            // Renew before each further letter, not after the last one: removing the last letter removes the
            // sequence, and with it the lease.
            if (redelivered > 0 && !store.renew(claim, lease)) {
                return stopped(group, key, RedeliveryResult.Outcome.LEASE_LOST, redelivered, null, null);
            }
            StoredLetter letter = head.get(0);
            EventMessage<?> message;
            try {
                message = letter.message();
            } catch (UndeserializableLetterException e) {
                return stopped(group, key, RedeliveryResult.Outcome.UNREADABLE, redelivered, letter, e);
            }
            ResultMessage<?> result = redeliverInUnitOfWork(binding, letter, message);
            if (result.isExceptional()) {
                Throwable failure = result.exceptionResult();
                if (failure instanceof LetterAlreadyGoneException) {
                    return stopped(group, key, RedeliveryResult.Outcome.LEASE_LOST, redelivered, letter, failure);
                }
                store.requeue(letter.withCause(failure),
                              new AttemptRecord(letter.attempts() + 1, GenericDeadLetter.clock.instant(),
                                                claim.node(), failure.getClass().getName(), failure.getMessage()));
                observer.redeliveryFailed(group, message, failure);
                return stopped(group, key, RedeliveryResult.Outcome.FAILED, redelivered, letter, failure);
            }
            redelivered++;
            observer.redelivered(group, message);
        }
    }

    private ResultMessage<?> redeliverInUnitOfWork(DeadLetterGroups.Binding binding, StoredLetter letter,
                                                   EventMessage<?> message) {
        UnitOfWork<EventMessage<?>> unitOfWork = DefaultUnitOfWork.startAndGet(message);
        unitOfWork.attachTransaction(binding.transactionManager());
        List<MessageHandlerInterceptor<? super EventMessage<?>>> interceptors = binding.interceptors().get();
        DeadLetteringEventHandlerInvoker invoker = binding.invoker();
        return unitOfWork.executeWithResult(() -> new DefaultInterceptorChain<>(unitOfWork, interceptors, m -> {
            invoker.invokeForRedelivery(letter);
            // Same transaction as the handler's writes: both commit, or neither.
            if (!store.remove(letter)) {
                throw new LetterAlreadyGoneException(letter);
            }
            return null;
        }).proceed());
    }

    private RedeliveryResult stopped(String group, String key, RedeliveryResult.Outcome outcome, int redelivered,
                                     StoredLetter letter, Throwable failure) {
        return new RedeliveryResult(group, key, outcome, redelivered, store.sequenceSize(group, key),
                                    letter == null ? null : letter.id(),
                                    failure == null ? null : failure.getClass().getName(),
                                    failure == null ? null : failure.getMessage());
    }

    /** The letter was deleted by someone else while we handled it: our handling must not commit. */
    static final class LetterAlreadyGoneException extends RuntimeException {
        LetterAlreadyGoneException(StoredLetter letter) {
            super("Dead letter [" + letter.id() + "] was already redelivered or evicted by someone else");
        }
    }
}
