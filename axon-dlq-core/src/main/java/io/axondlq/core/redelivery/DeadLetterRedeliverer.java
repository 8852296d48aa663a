package io.axondlq.core.redelivery;

import io.axondlq.core.DeadLetteringEventHandlerInvoker;
import io.axondlq.core.observe.DeadLetterObserver;
import io.axondlq.core.store.AttemptRecord;
import io.axondlq.core.store.DeadLetterStore;
import io.axondlq.core.store.LeaseLostException;
import io.axondlq.core.store.Page;
import io.axondlq.core.store.SequenceClaim;
import io.axondlq.core.store.SequenceClaimedException;
import io.axondlq.core.store.StoredLetter;
import io.axondlq.core.store.UndeserializableLetterException;
import org.axonframework.common.AxonConfigurationException;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.DefaultInterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.ResultMessage;
import org.axonframework.messaging.deadletter.GenericDeadLetter;
import org.axonframework.messaging.deadletter.NoSuchDeadLetterException;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * Redelivers dead letters one sequence at a time, one letter at a time in sequence order, through the processing
 * group's own invoker and its processor's handler interceptors, in a unit of work (and transaction) per letter.
 * <p>
 * The sequence is held by a lease (database time), claimed in its own short transaction. Every letter's transaction is
 * fenced by it: after the handler, its first dead-letter statement checks that this claim still holds the sequence and
 * renews the lease, then the letter is deleted, so the handler's writes and the delete commit together, and only while
 * the lease is held. A holder that lost its lease (a letter slower than the lease, taken over by another node) rolls
 * back and stops: every letter takes effect exactly once. A failed letter is rolled back, then kept with attempts + 1
 * and a history row, fenced the same way, and the sequence stops there. A letter an operator evicts while it is
 * redelivered is gone whatever its handler did: that handling is rolled back, nothing is kept or reported for it (the
 * eviction is), and the sequence goes on with its next letter. A handler's commit callback that throws once the
 * removal has committed (a Spring {@code afterCommit}, an Error in Axon's) undoes nothing: the letter counts as
 * redelivered and the callback's failure is logged. Letters are read a page at a time.
 * <p>
 * Letters are read through the store's upcaster chain (see {@link StoredLetter#messages()}): a letter whose event the
 * chain drops is resolved (removed, fenced by the lease, reported as evicted with reason
 * {@link DeadLetterObserver#EVICTED_BY_UPCASTER} and listed in the result's {@code droppedByUpcaster}); one the chain
 * splits has all its events handled, in order, in its one unit of work; one the chain cannot make readable stops the
 * sequence with {@link RedeliveryResult.Outcome#UNREADABLE} and the reason.
 * <p>
 * A {@link RedeliveryRecorder} hears each letter's outcome in the transaction that records it (the operations layer
 * writes the letter's audit entry there).
 * <p>
 * Every redelivering method refuses to run inside a transaction or an Axon unit of work
 * ({@link RedeliveryInTransactionException}): per-letter atomicity needs a transaction per letter, and the parked sets
 * of this node may only forget a sequence once its last removal has committed.
 * <p>
 * Choose a lease longer than the slowest letter's handling: a longer letter is not wrong, but its work may be rolled
 * back and done again by the node that took the sequence over.
 */
public class DeadLetterRedeliverer {

    private static final Logger logger = LoggerFactory.getLogger(DeadLetterRedeliverer.class);
    /** Letters read per query; each is still handled in its own unit of work. */
    private static final int PAGE_SIZE = 100;

    private final DeadLetterStore store;
    private final DeadLetterGroups groups;
    private final Duration lease;
    private final DeadLetterObserver observer;
    private final BooleanSupplier stopSignal;

    /**
     * A redeliverer that hears no stop signal: see {@link #DeadLetterRedeliverer(DeadLetterStore, DeadLetterGroups,
     * Duration, DeadLetterObserver, BooleanSupplier)}.
     *
     * @param lease the lease held on a sequence while it is redelivered; at least 1 ms (the store takes it in
     *              milliseconds)
     * @throws AxonConfigurationException for a missing part or a lease below 1 ms, here rather than at the first
     *                                     redelivery
     */
    public DeadLetterRedeliverer(DeadLetterStore store, DeadLetterGroups groups, Duration lease,
                                 DeadLetterObserver observer) {
        this(store, groups, lease, observer, () -> false);
    }

    /**
     * @param lease      the lease held on a sequence while it is redelivered; at least 1 ms (the store takes it in
     *                   milliseconds)
     * @param stopSignal true once the application is closing: every sequence redelivery of this redeliverer (an
     *                   operator's too) then ends between letters, as on a caller's {@code stopRequested} (see
     *                   {@link #redeliver(String, String, RedeliveryRecorder, int, BooleanSupplier)}); asked on the
     *                   redelivering thread, must not throw
     * @throws AxonConfigurationException for a missing part or a lease below 1 ms, here rather than at the first
     *                                     redelivery
     */
    public DeadLetterRedeliverer(DeadLetterStore store, DeadLetterGroups groups, Duration lease,
                                 DeadLetterObserver observer, BooleanSupplier stopSignal) {
        this.store = require(store, "store");
        this.groups = require(groups, "groups");
        this.lease = requireLease(lease, "lease");
        this.observer = require(observer, "observer");
        this.stopSignal = require(stopSignal, "stopSignal");
    }

    /** A lease the store can take: it computes the lease's end in whole milliseconds by the database's clock. */
    public static Duration requireLease(Duration lease, String name) {
        if (lease == null || lease.isNegative() || lease.toMillis() < 1) {
            throw new AxonConfigurationException(name + " must be at least 1 ms, was " + lease);
        }
        return lease;
    }

    private static <T> T require(T value, String name) {
        if (value == null) {
            throw new AxonConfigurationException(name + " may not be null");
        }
        return value;
    }

    /**
     * @throws UnknownProcessingGroupException  when the group does not run with axon-dlq on this node
     * @throws SequenceClaimedException         when another owner is redelivering the sequence
     * @throws RedeliveryInTransactionException when called inside a transaction or an Axon unit of work (so from every
     *                                          redelivering method of this class); nothing is claimed or changed
     */
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey) {
        return redeliver(processingGroup, sequenceKey, RedeliveryRecorder.NONE);
    }

    /**
     * {@link #redeliver(String, String)} with each letter's outcome reported to {@code recorder} in its transaction.
     *
     * @throws RuntimeException what {@code recorder} threw; that letter's outcome was rolled back
     */
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder) {
        return redeliver(processingGroup, sequenceKey, recorder, Integer.MAX_VALUE);
    }

    /**
     * {@link #redeliver(String, String, RedeliveryRecorder)} that stops after {@code maxLetters} letters (redelivered
     * or dropped by the upcaster chain) with {@link RedeliveryResult.Outcome#LIMIT_REACHED} when letters remain: a
     * request thread does not drain a sequence of ten thousand letters; a retry job does the rest.
     *
     * @throws IllegalArgumentException when {@code maxLetters < 1}
     */
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder,
                                      int maxLetters) {
        return redeliver(processingGroup, sequenceKey, recorder, maxLetters, () -> false);
    }

    /**
     * {@link #redeliver(String, String, RedeliveryRecorder, int)} for background work, which must end when the
     * application stops: {@code stopRequested} is asked between letters, and once it answers true the redelivery
     * ends before the next letter with {@link RedeliveryResult.Outcome#LIMIT_REACHED} (the rest waits, in order, from
     * {@code stoppedAtLetterId} on). The first letter of the call is always tried, so that every call makes progress.
     * A letter whose handler fails once a stop was requested is not held against the letter: its unit of work is
     * rolled back and the letter kept unchanged (no attempt recorded, nothing told to the recorder or the observer),
     * and the redelivery ends with {@code LIMIT_REACHED} at that letter; while the application shuts down a handler
     * fails because its beans (a DataSource, a client) are being closed, which says nothing about the letter, and a
     * genuine failure shows again when the letter is redelivered after the restart. The redeliverer's own stop signal
     * (the module's {@code redeliveryStopSignal}) is heard the same way, by every sequence redelivery.
     *
     * @param stopRequested asked on the redelivering thread, before each letter after the first and after a failed
     *                      handler; must not throw
     */
    public RedeliveryResult redeliver(String processingGroup, String sequenceKey, RedeliveryRecorder recorder,
                                      int maxLetters, BooleanSupplier stopRequested) {
        requireLimit(maxLetters);
        Objects.requireNonNull(stopRequested, "stopRequested");
        BooleanSupplier stop = () -> stopRequested.getAsBoolean() || stopSignal.getAsBoolean();
        RedeliveryInTransactionException.requireNone(
                "sequence [" + sequenceKey + "] of processing group [" + processingGroup + "]");
        DeadLetterGroups.Binding binding = binding(processingGroup);
        // Taken before the claim: entries the live path adds to its parked sets after this point are not ours to drop.
        long drainMark = binding.invoker().drainMark();
        Optional<SequenceClaim> claim = store.claim(processingGroup, sequenceKey, lease);
        if (claim.isEmpty()) {
            return RedeliveryResult.notFound(processingGroup, sequenceKey);
        }
        try {
            return drain(binding, claim.get(), drainMark, recorder, maxLetters, stop);
        } finally {
            store.release(claim.get());
        }
    }

    /**
     * Redelivers the sequence that waited longest since it was last touched, skipping leased ones and passing over
     * those whose first letter cannot be read (nothing is changed on them; {@code UNREADABLE} for the oldest of them
     * when no other sequence waits).
     */
    public RedeliveryResult redeliverOldest(String processingGroup) {
        return redeliverOldest(processingGroup, RedeliveryRecorder.NONE);
    }

    /** {@link #redeliverOldest(String)} with each letter's outcome reported to {@code recorder} in its transaction. */
    public RedeliveryResult redeliverOldest(String processingGroup, RedeliveryRecorder recorder) {
        return redeliverOldest(processingGroup, recorder, Integer.MAX_VALUE);
    }

    /** {@link #redeliverOldest(String, RedeliveryRecorder)} with a letter limit, as {@link #redeliver(String, String, RedeliveryRecorder, int)}. */
    public RedeliveryResult redeliverOldest(String processingGroup, RedeliveryRecorder recorder, int maxLetters) {
        requireLimit(maxLetters);
        RedeliveryInTransactionException.requireNone(
                "the oldest sequence of processing group [" + processingGroup + "]");
        binding(processingGroup);
        RedeliveryResult firstUnreadable = null;
        String firstUnreadableKey = null;
        String cursor = null;
        do {
            Page<StoredLetter> heads = store.claimableHeads(processingGroup, 20, cursor);
            for (StoredLetter head : heads.items()) {
                if (!head.readability().readable()) {
                    // Known from its types alone: passed over without a claim, so that a group of many such sequences
                    // costs no claim each.
                    if (firstUnreadableKey == null) {
                        firstUnreadableKey = head.sequenceKey();
                    }
                    continue;
                }
                try {
                    RedeliveryResult result = redeliver(processingGroup, head.sequenceKey(), recorder, maxLetters);
                    if (unreadableHead(result)) {
                        // Nothing changed, so it stays the oldest: stopping here would answer this on every call and
                        // never reach the sequences behind it (as Axon's queue processing passes such a head over).
                        if (firstUnreadableKey == null) {
                            firstUnreadableKey = head.sequenceKey();
                            firstUnreadable = result;
                        }
                        continue;
                    }
                    if (result.outcome() != RedeliveryResult.Outcome.NOT_FOUND) {
                        return result;
                    }
                    // Drained by another node or evicted since we listed it: try the next one.
                } catch (SequenceClaimedException e) {
                    // Taken by another node since we listed it: try the next one.
                }
            }
            cursor = heads.nextCursor();
        } while (cursor != null);
        // Only unreadable heads wait: say why the oldest cannot be redelivered rather than "nothing found".
        if (firstUnreadable != null) {
            return firstUnreadable;
        }
        if (firstUnreadableKey != null) {
            // Passed over by its types: its redelivery gives the result (UNREADABLE, changing nothing).
            try {
                return redeliver(processingGroup, firstUnreadableKey, recorder, maxLetters);
            } catch (SequenceClaimedException e) {
                // Taken by another node since we listed it.
            }
        }
        return RedeliveryResult.notFound(processingGroup, null);
    }

    /** UNREADABLE at the sequence's first letter: the redelivery changed nothing. */
    private static boolean unreadableHead(RedeliveryResult result) {
        return result.outcome() == RedeliveryResult.Outcome.UNREADABLE && result.redelivered() == 0
                && result.droppedByUpcaster().isEmpty();
    }

    /**
     * Redelivers every sequence of the group that is not leased, one after the other, up to
     * {@code maxSequences}. Sequences leased by someone else are skipped. Once the stop signal is raised no further
     * sequence is begun: as a sequence redelivery does, the call ends after the letter in progress.
     */
    public List<RedeliveryResult> redeliverAll(String processingGroup, int maxSequences) {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("maxSequences must be >= 1, was " + maxSequences);
        }
        RedeliveryInTransactionException.requireNone("the sequences of processing group [" + processingGroup + "]");
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
            // Between sequences as between letters: while the application closes, one letter is enough.
            if (!results.isEmpty() && stopSignal.getAsBoolean()) {
                break;
            }
            try {
                results.add(redeliver(processingGroup, key));
            } catch (SequenceClaimedException e) {
                logger.debug("Skipping sequence [{}]: {}", key, e.getMessage());
            }
        }
        return results;
    }

    /** Whether the group runs with axon-dlq on this node, so that its letters can be redelivered here. */
    public boolean runs(String processingGroup) {
        return groups.binding(processingGroup).isPresent();
    }

    /**
     * For background work (retry jobs, automatic retry), before it redelivers: an operator or the application that
     * stopped a processor on this node expects none of its handlers to run here until it is started again.
     *
     * @throws ProcessorNotRunningException    when the group's processor is not running on this node
     * @throws UnknownProcessingGroupException when the group does not run with axon-dlq on this node
     */
    public void requireProcessorRunning(String processingGroup) {
        DeadLetterGroups.Binding binding = binding(processingGroup);
        if (!binding.processorRunning().getAsBoolean()) {
            throw new ProcessorNotRunningException(processingGroup, binding.processorName());
        }
    }

    private static void requireLimit(int maxLetters) {
        if (maxLetters < 1) {
            throw new IllegalArgumentException("maxLetters must be >= 1, was " + maxLetters);
        }
    }

    private DeadLetterGroups.Binding binding(String processingGroup) {
        return groups.binding(processingGroup)
                     .orElseThrow(() -> new UnknownProcessingGroupException(processingGroup));
    }

    private RedeliveryResult drain(DeadLetterGroups.Binding binding, SequenceClaim claim, long drainMark,
                                   RedeliveryRecorder recorder, int maxLetters, BooleanSupplier stopRequested) {
        String group = claim.processingGroup();
        String key = claim.sequenceKey();
        int redelivered = 0;
        boolean tried = false;
        List<UUID> dropped = new ArrayList<>();
        long afterIndex = -1;
        while (true) {
            List<StoredLetter> page = store.sequenceLetters(group, key, afterIndex, PAGE_SIZE);
            if (page.isEmpty()) {
                return drained(binding, claim, drainMark, redelivered, dropped);
            }
            for (StoredLetter letter : page) {
                if (redelivered + dropped.size() >= maxLetters) {
                    // The rest waits, in order, behind this letter: for the next call or a retry job.
                    return limitReached(group, key, redelivered, letter, dropped);
                }
                if (tried && stopRequested.getAsBoolean()) {
                    // The application is stopping: the rest waits, in order, for the restart (or another node).
                    return stoppedOnRequest(group, key, redelivered, letter, dropped);
                }
                tried = true;
                afterIndex = letter.sequenceIndex();
                List<EventMessage<?>> messages;
                try {
                    messages = letter.messages();
                } catch (UndeserializableLetterException e) {
                    return stopped(group, key, RedeliveryResult.Outcome.UNREADABLE, redelivered, letter, e, dropped);
                }
                if (messages.isEmpty()) {
                    // The upcaster chain drops the event, as the event store would: nothing to handle, the letter is
                    // resolved. Fenced by the lease like any removal.
                    long left;
                    try {
                        // The removal and what the recorder writes about it (the audit entry) commit together.
                        int redeliveredSoFar = redelivered;
                        left = binding.transactionManager().fetchInTransaction(() -> {
                            long remaining = store.removeLeased(claim, letter, lease);
                            recorder.dropped(letter);
                            if (remaining == 0) {
                                recorder.concluded(drainedResult(claim, redeliveredSoFar, with(dropped, letter)));
                            }
                            return remaining;
                        });
                    } catch (LeaseLostException lost) {
                        return leaseLost(claim, redelivered, letter, lost, dropped);
                    } catch (NoSuchDeadLetterException gone) {
                        continue;
                    }
                    dropped.add(letter.id());
                    logger.info("Dead letter [{}] of processing group [{}] resolved: the upcaster chain drops its "
                                        + "event [{}] of payload type [{}] revision [{}]", letter.id(), group,
                                letter.event().eventIdentifier(), letter.event().payloadType(),
                                letter.event().payloadRevision());
                    observer.evicted(group, 1, DeadLetterObserver.EVICTED_BY_UPCASTER);
                    if (left == 0) {
                        return drained(binding, claim, drainMark, redelivered, dropped);
                    }
                    continue;
                }
                Attempt attempt = redeliverInUnitOfWork(binding, claim, letter, messages, recorder, redelivered,
                                                        dropped);
                if (attempt.recorderFailure() != null) {
                    throw attempt.recorderFailure();
                }
                if (attempt.fence() instanceof LeaseLostException lost) {
                    return leaseLost(claim, redelivered, letter, lost, dropped);
                }
                if (attempt.fence() != null) {
                    // Evicted while we handled it: its handling was rolled back with the transaction; go on.
                    logger.debug("Dead letter [{}] was evicted while it was redelivered", letter.id());
                    continue;
                }
                if (attempt.failure() != null) {
                    if (stopRequested.getAsBoolean()) {
                        // Rolled back already; failing while the application shuts down (its beans being closed)
                        // says nothing about the letter, so it is kept as it was, for the restart.
                        logger.info("Dead letter [{}] of processing group [{}] failed after a stop was requested "
                                            + "({}); kept unchanged, not counted as a failed attempt",
                                    letter.id(), group, attempt.failure().getClass().getName());
                        return stoppedOnRequest(group, key, redelivered, letter, dropped);
                    }
                    RedeliveryResult failed = failed(binding, claim, redelivered, letter, messages.get(0),
                                                     attempt.failure(), dropped, recorder);
                    if (failed != null) {
                        return failed;
                    }
                    // Evicted while its handler failed: nothing is kept, so nothing failed; go on, as above.
                    continue;
                }
                redelivered++;
                observer.redelivered(group, messages.get(0));
                if (attempt.lettersLeft() == 0) {
                    // The last letter took the sequence row, and the lease, with it.
                    return drained(binding, claim, drainMark, redelivered, dropped);
                }
            }
        }
    }

    private RedeliveryResult drained(DeadLetterGroups.Binding binding, SequenceClaim claim, long drainMark,
                                     int redelivered, List<UUID> dropped) {
        binding.invoker().sequenceDrained(claim.sequenceKey(), drainMark);
        return drainedResult(claim, redelivered, dropped);
    }

    private static RedeliveryResult drainedResult(SequenceClaim claim, int redelivered, List<UUID> dropped) {
        return new RedeliveryResult(claim.processingGroup(), claim.sequenceKey(), RedeliveryResult.Outcome.DRAINED,
                                    redelivered, 0, null, null, null, dropped);
    }

    private static List<UUID> with(List<UUID> ids, StoredLetter letter) {
        List<UUID> result = new ArrayList<>(ids);
        result.add(letter.id());
        return result;
    }

    /** @return the result that stops the sequence at the kept letter; null when the letter was evicted meanwhile */
    private RedeliveryResult failed(DeadLetterGroups.Binding binding, SequenceClaim claim, int redelivered,
                                    StoredLetter letter, EventMessage<?> message, Throwable failure,
                                    List<UUID> dropped, RedeliveryRecorder recorder) {
        String group = claim.processingGroup();
        RedeliveryResult result;
        try {
            // One transaction: the kept letter and what the recorder writes about it commit together.
            result = binding.transactionManager().fetchInTransaction(() -> {
                store.requeueLeased(claim, letter.withCause(failure),
                                    new AttemptRecord(letter.attempts() + 1, GenericDeadLetter.clock.instant(),
                                                      claim.node(), failure.getClass().getName(),
                                                      failure.getMessage()),
                                    lease);
                recorder.failed(letter, failure);
                RedeliveryResult stopped = stopped(group, claim.sequenceKey(), RedeliveryResult.Outcome.FAILED,
                                                   redelivered, letter, failure, dropped);
                recorder.concluded(stopped);
                return stopped;
            });
        } catch (LeaseLostException lost) {
            // Another node owns the sequence now and decides about this letter: we record nothing.
            return leaseLost(claim, redelivered, letter, lost, dropped);
        } catch (NoSuchDeadLetterException gone) {
            // The eviction removed it, and was counted and audited as such: there is no letter to keep with
            // attempts + 1, so no redelivery failed.
            logger.debug("Dead letter [{}] was evicted while it was redelivered (its handler failed: {})",
                         letter.id(), failure.getClass().getName());
            return null;
        }
        observer.redeliveryFailed(group, message, failure);
        return result;
    }

    private RedeliveryResult limitReached(String group, String key, int redelivered, StoredLetter next,
                                          List<UUID> dropped) {
        return new RedeliveryResult(group, key, RedeliveryResult.Outcome.LIMIT_REACHED, redelivered,
                                    store.sequenceSize(group, key), next.id(), null, null, dropped);
    }

    private RedeliveryResult stoppedOnRequest(String group, String key, int redelivered, StoredLetter next,
                                              List<UUID> dropped) {
        logger.info("Redelivery of sequence [{}] of processing group [{}] stopped on request after {} letter(s); the "
                            + "rest waits from dead letter [{}] on", key, group, redelivered, next.id());
        return limitReached(group, key, redelivered, next, dropped);
    }

    private RedeliveryResult leaseLost(SequenceClaim claim, int redelivered, StoredLetter letter,
                                       LeaseLostException lost, List<UUID> dropped) {
        logger.warn("Redelivery of sequence [{}] of processing group [{}] stopped at dead letter [{}] after {} "
                            + "letter(s): {}", claim.sequenceKey(), claim.processingGroup(), letter.id(), redelivered,
                    lost.getMessage());
        return stopped(claim.processingGroup(), claim.sequenceKey(), RedeliveryResult.Outcome.LEASE_LOST,
                       redelivered, letter, lost, dropped);
    }

    /**
     * One letter's unit of work: what the fenced removal refused (lease lost, letter gone), else the failure that
     * rolled it back, else the letters left after it.
     */
    private record Attempt(RuntimeException fence, Throwable failure, long lettersLeft,
                           RuntimeException recorderFailure) {
    }

    /**
     * Several messages (an upcaster split the letter's event) are handled in order in the one unit of work, each
     * through the interceptors as the unit of work's current message; the handlers get the message the interceptors
     * pass on (one may have transformed it); the letter is removed after the last.
     * <p>
     * The removal runs after the interceptor chains, not inside them: an interceptor that catches what the chain
     * throws must not swallow the lease's fence, nor the handlers' failure (the letter stays, attempts + 1, as a live
     * failure is dead-lettered whatever the interceptors do); one that does not proceed resolves the letter, as it
     * resolves a live event and as Axon's own dead-letter processing evicts a letter whose unit of work commits.
     */
    private Attempt redeliverInUnitOfWork(DeadLetterGroups.Binding binding, SequenceClaim claim, StoredLetter letter,
                                          List<EventMessage<?>> messages, RedeliveryRecorder recorder,
                                          int redeliveredBefore, List<UUID> dropped) {
        UnitOfWork<EventMessage<?>> unitOfWork = DefaultUnitOfWork.startAndGet(messages.get(0));
        unitOfWork.attachTransaction(binding.transactionManager());
        List<MessageHandlerInterceptor<? super EventMessage<?>>> interceptors = binding.interceptors().get();
        DeadLetteringEventHandlerInvoker invoker = binding.invoker();
        long[] left = {-1};
        int[] handled = {0};
        Throwable[] handlerFailure = {null};
        RuntimeException[] fence = {null};
        RuntimeException[] recorderFailure = {null};
        boolean[] committed = {false};
        Callable<Object> work = () -> {
            for (int i = 0; i < messages.size(); i++) {
                EventMessage<?> message = messages.get(i);
                if (i > 0) {
                    unitOfWork.transformMessage(previous -> message);
                }
                new DefaultInterceptorChain<>(unitOfWork, interceptors, m -> {
                    handled[0]++;
                    try {
                        // The chain's message: an interceptor may have changed it (UnitOfWork.transformMessage), as
                        // it does live and in Axon's own dead-letter processing.
                        invoker.invokeForRedelivery(letter, m);
                    } catch (Exception | Error e) {
                        handlerFailure[0] = e;
                        throw e;
                    }
                    return null;
                }).proceed();
                if (handlerFailure[0] != null) {
                    // Caught by an interceptor: still the letter's failure, as it would be live, where the
                    // processor's interceptors never see a failure the dead-letter queue handles.
                    if (handlerFailure[0] instanceof Error error) {
                        throw error;
                    }
                    throw (Exception) handlerFailure[0];
                }
            }
            if (handled[0] < messages.size()) {
                logger.info("Dead letter [{}] of processing group [{}]: a handler interceptor did not proceed to "
                                    + "the handlers for {} of its {} event(s); the letter is resolved, as a live "
                                    + "event the interceptor stops is", letter.id(), claim.processingGroup(),
                            messages.size() - handled[0], messages.size());
            }
            // Same transaction as the handlers' writes, and fenced by the lease: all commit, or none.
            try {
                left[0] = store.removeLeased(claim, letter, lease);
            } catch (LeaseLostException | NoSuchDeadLetterException e) {
                fence[0] = e;
                throw e;
            }
            try {
                recorder.redelivered(letter);
                if (left[0] == 0) {
                    recorder.concluded(drainedResult(claim, redeliveredBefore + 1, dropped));
                }
            } catch (RuntimeException e) {
                recorderFailure[0] = e;
                throw e;
            }
            onCommitted(() -> committed[0] = true);
            return null;
        };
        ResultMessage<?> result;
        try {
            result = unitOfWork.executeWithResult(work);
        } catch (Error afterCommit) {
            // Axon suppresses the exceptions of its afterCommit callbacks, not their Errors.
            if (!committed[0]) {
                throw afterCommit;
            }
            logCallbackFailure(claim, letter, afterCommit);
            return new Attempt(null, null, left[0], null);
        }
        if (!result.isExceptional()) {
            return new Attempt(null, null, left[0], null);
        }
        if (committed[0]) {
            // The removal committed, then a commit callback of a handler (a Spring afterCommit) threw: the letter was
            // redelivered, once; reporting it failed (or its lease lost, the sequence row being gone) would be untrue.
            logCallbackFailure(claim, letter, result.exceptionResult());
            return new Attempt(null, null, left[0], null);
        }
        return new Attempt(fence[0], result.exceptionResult(), -1, recorderFailure[0]);
    }

    /**
     * Runs {@code marker} once the caller's transaction has committed. Spring runs afterCompletion even when another
     * synchronization's afterCommit threw, so the commit is known whatever a handler's callback does afterwards.
     * Without Spring-managed synchronization nothing is marked and a failure is taken as the letter's, as before.
     */
    private static void onCommitted(Runnable marker) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            return;
        }
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void afterCompletion(int status) {
                if (status == STATUS_COMMITTED) {
                    marker.run();
                }
            }
        });
    }

    private static void logCallbackFailure(SequenceClaim claim, StoredLetter letter, Throwable failure) {
        logger.warn("Dead letter [{}] of processing group [{}] was redelivered and its removal committed, but a "
                            + "commit callback of its unit of work failed afterwards", letter.id(),
                    claim.processingGroup(), failure);
    }

    private RedeliveryResult stopped(String group, String key, RedeliveryResult.Outcome outcome, int redelivered,
                                     StoredLetter letter, Throwable failure, List<UUID> dropped) {
        return new RedeliveryResult(group, key, outcome, redelivered, store.sequenceSize(group, key),
                                    letter == null ? null : letter.id(),
                                    failure == null ? null : failure.getClass().getName(),
                                    failure == null ? null : failure.getMessage(), dropped);
    }
}
